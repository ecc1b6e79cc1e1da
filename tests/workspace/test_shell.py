"""Sign-in, the shell, and what the web UI must leave alone: the API, the admin, /healthz and
static files; the Content-Security-Policy."""

import re

import pytest
from django.test import Client, override_settings

from tests.conftest import MEMBER_PASSWORD, error_of
from tests.factories import ContactFactory, UserFactory

PAGES = [
    "/",
    "/contacts/",
    "/companies/",
    "/deals/",
    "/activities/",
    "/tasks/",
    "/pipelines/",
    "/search/?q=a",
    "/contacts/new/",
    "/companies/new/",
    "/deals/new/",
    "/tasks/new/",
    "/activities/new/",
]


@pytest.mark.parametrize("path", [*PAGES, "/contacts/cont_01H0000000000000000000000/", "/deals/whatever/"])
def test_every_page_needs_sign_in(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path.replace('?', '%3F').replace('=', '%3D')}"


def test_sign_in_with_email_and_password_then_out(member):
    client = Client()
    page = client.get("/login/")
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<label[^>]*for="id_username"[^>]*>Email</label>', html)
    assert re.search(r'<label[^>]*for="id_password"[^>]*>Password</label>', html)
    wrong = client.post("/login/", {"username": member.email, "password": "nope"})
    assert wrong.status_code == 200 and "correct email" in wrong.content.decode()
    right = client.post(
        "/login/?next=/tasks/", {"username": member.email, "password": MEMBER_PASSWORD, "next": "/tasks/"}
    )
    assert right.status_code == 302 and right["Location"] == "/tasks/"
    assert client.get("/").status_code == 200
    assert client.get("/logout/").status_code == 405  # signing out is a POST (CSRF-protected)
    out = client.post("/logout/")
    assert out.status_code == 302 and out["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_signed_in_user_visiting_login_goes_home(ui):
    response = ui.get("/login/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_platform_superuser_without_organization_is_pointed_to_the_admin(db):
    admin = UserFactory(org=None, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    for path in ("/", "/contacts/", "/pipelines/", "/search/?q=x"):
        response = client.get(path)
        assert response.status_code == 403
        assert "has no organization" in response.content.decode()
        assert 'href="/admin/"' in response.content.decode()


def test_the_api_still_answers_401_json_never_a_redirect(db):
    client = Client()
    for path in ("/api/contacts", "/api/users/", "/api/nope", "/api"):
        response = client.get(path)
        assert response.status_code in (401, 404), path
        assert error_of(response)["code"] in ("unauthorized", "not_found")
    assert client.get("/api/openapi.json").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    script = re.search(r'<script src="([^"]*\?script=[^"]*)"', docs.content.decode())
    assert script, "the docs' own script is a file (the split Swagger view), not inline"
    assert client.get(script.group(1).replace("&amp;", "&")).status_code == 200


def test_admin_keeps_its_own_login_and_healthz_stays_open(db):
    client = Client()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/healthz").content == b"ok"


def test_static_files_need_no_sign_in(db):
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        response = Client().get("/static/vendor/htmx/htmx.min.js")
        assert response.status_code == 200


def test_unknown_page_is_the_404_page(ui):
    response = ui.get("/no-such-page/")
    assert response.status_code == 404 and "Nothing here" in response.content.decode()


def test_csp_is_strict_and_pages_have_no_inline_script_or_style(ui, org):
    ContactFactory(org=org)
    for path in PAGES:
        response = ui.get(path)
        policy = response["Content-Security-Policy"]
        assert (
            "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
        )
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\son[a-z]+=|hx-on", html), path
        assert 'name="htmx-config"' in html and '"includeIndicatorStyles": false' in html


def test_shell_has_navigation_search_and_user_menu(ui, member):
    html = ui.get("/contacts/").content.decode()
    for label in ("Today", "Contacts", "Companies", "Deals", "Pipelines", "Activities", "Tasks"):
        assert f">{label}</a>" in html
    assert 'aria-current="page">Contacts' in html
    assert '<label class="input-group-text" for="global-search">Search</label>' in html
    assert 'action="/logout/"' in html and member.org.name in html
