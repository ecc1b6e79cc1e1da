"""Two organizations with one object of every kind each, for the tenancy and scope matrices.

``build(name, marker)`` makes an organization whose every text (names, emails, domains, URLs)
carries ``marker``, so a response that shows any of its data is caught by looking for the
marker (``leaks``), along with the ids of its objects (prefixed, and the raw primary keys the
admin puts in its URLs).
"""

import datetime
import html
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

from django.apps import apps
from django.utils import timezone

from activities.models import Activity, Task
from contacts.models import Company, Contact
from deals.models import Deal, DealStageChange, Product
from deals.services import deal_create, pipeline_create, pipeline_default
from imports.models import ImportJob
from rexcrm.accounts.models import Organization
from rexcrm.accounts.services import apikey_create, member_create, member_set_active
from rexcrm.events.models import Delivery, Event, Webhook


@dataclass
class World:
    """One organization and an object of every kind (``objects[kind]``)."""

    org: Organization
    marker: str
    objects: dict = field(default_factory=dict)

    def __getitem__(self, kind):
        return self.objects[kind]

    def typeid(self, kind) -> str:
        return self.objects[kind].typeid

    def pk(self, kind) -> str:
        """The primary key as the admin writes it in a URL."""
        return str(self.objects[kind].pk)

    def ids(self) -> set[str]:
        """Every id of this organization's objects, as any door could show it."""
        found = set()
        objects = [
            obj for value in self.objects.values() for obj in (value if isinstance(value, list) else [value])
        ]
        for obj in objects:
            found |= {obj.typeid, str(obj.pk), getattr(obj.pk, "hex", "")}
            if isinstance(obj, Event):
                found |= {str(obj.uuid), obj.uuid.hex}
        return {text for text in found if len(text) > 8}  # an event's integer pk is no marker


def build(name: str, marker: str) -> World:
    """The organization ``name``: an administrator (``owner``), a member (``rep``), a
    member deactivated after creating an API key (``gone``, ``gone_key``), and one object of
    every other kind, linked to each other as real data is."""
    org = Organization.objects.create(name=f"{name} {marker}")
    world = World(org=org, marker=marker)
    o = world.objects

    def member(role, **extra):
        return member_create(
            org=org,
            actor=None,
            email=f"{role}@{marker}.example",
            first_name=f"{role.title()}{marker}",
            **extra,
        )

    o["user"] = o["owner"] = member("owner", is_staff=True)
    o["rep"] = member("rep")
    o["gone"] = member("gone")
    o["apikey"], _ = apikey_create(org=org, actor=None, name=f"Spare {marker}", scope="read")
    o["gone_key"], world.gone_raw_key = apikey_create(
        org=org, actor=o["gone"], name=f"Gone {marker}", scope="read-write"
    )
    member_set_active(org=org, actor=o["owner"], member=o["gone"], active=False)

    o["pipeline"] = pipeline_default(org=org)
    o["stages"] = list(o["pipeline"].stages.order_by("position"))
    o["stage"] = o["stages"][1]
    o["spare_pipeline"] = pipeline_create(
        org=org, actor=None, name=f"Spare {marker}", stages=[{"name": f"Only {marker}"}]
    )
    o["company"] = Company.objects.create(
        org=org, name=f"Company {marker}", domain=f"{marker}.example", owner=o["owner"]
    )
    o["contact"] = Contact.objects.create(
        org=org,
        first_name=f"Contact{marker}",
        last_name=marker,
        email=f"contact@{marker}.example",
        company=o["company"],
        owner=o["owner"],
    )
    o["duplicate"] = Contact.objects.create(
        org=org, first_name=f"Duplicate{marker}", email=f"dup@{marker}.example"
    )
    o["product"] = Product.objects.create(org=org, name=f"Product {marker}", slug=f"product-{marker}")
    o["deal"] = deal_create(
        org=org,
        actor=None,
        name=f"Deal {marker}",
        contact=o["contact"],
        company=o["company"],
        owner=o["owner"],
        pipeline=o["pipeline"],
        stage=o["stage"],
        products=[o["product"]],
    )
    o["dealstagechange"] = DealStageChange.objects.create(
        org=org, deal=o["deal"], from_stage=o["stages"][0], to_stage=o["stage"], changed_at=timezone.now()
    )
    o["activity"] = Activity.objects.create(
        org=org,
        type="call",
        subject=f"Call {marker}",
        body=f"Body {marker}",
        contact=o["contact"],
        company=o["company"],
        deal=o["deal"],
        owner=o["owner"],
        occurred_at=timezone.now() - datetime.timedelta(days=1),
    )
    o["task"] = Task.objects.create(
        org=org,
        title=f"Task {marker}",
        contact=o["contact"],
        company=o["company"],
        deal=o["deal"],
        owner=o["owner"],
        due_at=timezone.now() + datetime.timedelta(days=1),
    )
    o["webhook"] = Webhook.objects.create(
        org=org,
        name=f"Hook {marker}",
        url=f"https://{marker}.example/hook",
        secret=f"whsec_{marker}_0123456789",
    )
    o["event"] = Event.objects.filter(org=org).order_by("id").first()  # deal_create wrote some
    o["delivery"] = Delivery.objects.create(
        org=org,
        webhook=o["webhook"],
        event=o["event"],
        attempt=1,
        status="failed",
        status_code=500,
        duration_ms=5,
    )
    o["import"] = ImportJob.objects.create(
        org=org,
        created_by=o["owner"],
        resource="contacts",
        file=f"imports/{marker}.csv",
        filename=f"{marker}.csv",
        size=10,
        encoding="utf-8",
        delimiter=",",
        headers=["email"],
        mapping=["email"],
        total_rows=1,
    )
    o["organization"] = org
    return world


def destroy(*markers: str) -> None:
    """Delete the organizations ``build`` made with these markers, and everything of theirs."""
    for org in Organization.objects.filter(name__regex=rf"({'|'.join(markers)})$"):
        for model in (Delivery, Event, Activity, Task, DealStageChange, Deal):  # before what they protect
            model.objects.filter(org=org).delete()
        org.delete()


# Every tenant-owned table (a model with an organization column), for ``rows_of``.
TENANT_MODELS = [model for model in apps.get_models() if any(f.name == "org" for f in model._meta.fields)]
VOLATILE_COLUMNS = {"last_used_at", "last_login"}  # written by reads and sign-ins, by design


def rows_of(org) -> dict:
    """Every row of ``org`` in every tenant table (and the organization's own), to compare
    before and after a request: equal means nothing was read into a write or changed."""
    snapshot = {"organization": list(Organization.objects.filter(pk=org.pk).values_list())}
    for model in TENANT_MODELS:
        columns = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE_COLUMNS]
        snapshot[model._meta.label] = list(
            model._base_manager.filter(org=org).order_by("pk").values_list(*columns)
        )
        if model is Deal:  # the products of each deal (a many-to-many: no column above)
            snapshot["deal_products"] = list(
                Deal.products.through.objects.filter(deal__org=org).order_by("pk").values_list()
            )
    return snapshot


def leaks(world: World, body: bytes | str, sent=()) -> list[str]:
    """What of ``world``'s data ``body`` shows: its marker (in any name, email, domain…) and
    its ids, but what the request itself sent (``sent``: a page may show what was typed, an
    error may name the id it was given)."""
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    for echo in [sent] if isinstance(sent, str) else sent:
        for form in {echo, html.escape(echo), quote(echo, safe=""), quote_plus(echo, safe="/")}:
            text = text.replace(form, "") if form else text
    found = [world.marker] if world.marker.lower() in text.lower() else []
    found += sorted(i for i in world.ids() if i in text)
    return found
