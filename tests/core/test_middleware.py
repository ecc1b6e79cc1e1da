"""The browser pages' middleware (sessions, the signed-in user, login-required, htmx, messages)
is passed by under /api/ (rexcrm.core.middleware.BrowserOnlyMixin), and still runs for pages."""

from django.test import Client

from rexcrm.core import middleware


def test_a_signed_in_browser_is_not_an_api_client(ui):
    """A session cookie of a signed-in member is no credential for the API: 401, and the API
    neither reads nor renews the session."""
    response = ui.get("/api/contacts")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert "sessionid" not in response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_api_requests_pass_the_browser_middleware_by(api, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a browser middleware ran under /api/")

    for ours in (
        middleware.SessionMiddleware,
        middleware.AuthenticationMiddleware,
        middleware.HtmxMiddleware,
        middleware.MessageMiddleware,
    ):
        django_class = ours.__mro__[2]  # after BrowserOnlyMixin
        monkeypatch.setattr(django_class, "__call__", refuse)
    monkeypatch.setattr("django.contrib.auth.middleware.LoginRequiredMiddleware.process_view", refuse)
    response = api.get("/contacts")
    assert response.status_code == 200
    assert Client().post("/api/no/such/path").status_code == 404  # JSON 404, no CSRF 403


def test_pages_still_need_a_signed_in_user_and_get_a_session(ui, member):
    assert Client().get("/contacts/").status_code == 302  # login-required
    response = ui.get("/contacts/")
    assert response.status_code == 200
    assert response.wsgi_request.user == member
    assert hasattr(response.wsgi_request, "htmx") and hasattr(response.wsgi_request, "_messages")
