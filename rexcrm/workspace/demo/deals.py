"""Demo data for ``make run``: products and a few dozen deals spread over the default pipeline.

Called by the demo seeder (``manage.py seed_demo``) after it has created the organization,
its login and some contacts and companies::

    deals = seed_deals(org=org, owner=user, contacts=contacts, rng=rng)

Everything goes through the services (deals are created and moved with ``deal_move_stage``,
so they have history), back-dated with ``clock.frozen`` so that ages and days in stage look
lived-in. The same ``random.Random`` seed gives the same data (relative to today).
"""

import datetime
import random

from deals import services
from deals.choices import StageType
from deals.models import Deal, Product
from rexcrm.core import clock

DEAL_COUNT = 36

PRODUCTS = [
    ("Starter plan", "starter", "Up to 5 seats, email support.", 49_00),
    ("Growth plan", "growth", "Up to 50 seats, workflows and integrations.", 199_00),
    ("Enterprise plan", "enterprise", "Unlimited seats, SSO, audit log, SLA.", 999_00),
    ("Onboarding package", "onboarding", "Guided setup and data import.", 2_500_00),
    ("Premium support", "premium-support", "24/7 support with a named engineer.", 500_00),
]

DEAL_KINDS = ["Annual plan", "Pilot", "Expansion", "Renewal", "Team rollout", "Enterprise upgrade"]
LOST_REASONS = ["Went with a competitor", "No budget this year", "No decision", "Timing", "Missing feature"]
# Where the deals end up: the index of an open stage, or a closed outcome.
OUTCOMES = [0, 1, 2, 3, StageType.WON, StageType.LOST]
OUTCOME_WEIGHTS = [8, 7, 6, 5, 6, 4]


def seed_products(*, org, actor) -> list[Product]:
    """The demo products (those whose slug already exists are reused)."""
    existing = {p.slug: p for p in Product.objects.for_org(org)}
    products = []
    for name, slug, description, price in PRODUCTS:
        product = existing.get(slug) or services.product_create(
            org=org, actor=actor, name=name, slug=slug, description=description, price=price
        )
        products.append(product)
    return products


def seed_deals(*, org, owner, contacts, rng: random.Random) -> list[Deal]:
    """About three dozen deals in the default pipeline (provisioned if missing), each with a
    contact and the contact's company: most open across the four open stages, some won and
    some lost, each moved stage by stage since it was created (after its contact was)."""
    pipeline = services.pipeline_default(org=org)
    stages = list(pipeline.stages.order_by("position"))
    open_stages = [s for s in stages if s.type == StageType.OPEN]
    closing = {kind: next(s for s in stages if s.type == kind) for kind in (StageType.WON, StageType.LOST)}
    products = seed_products(org=org, actor=owner)
    # Deals are with people at companies (a free-mail contact rarely brings one).
    buyers = [c for c in contacts if c.company_id is not None] or list(contacts)
    now = clock.now()
    deals = []
    for _ in range(DEAL_COUNT):
        contact = rng.choice(buyers) if buyers else None
        earliest = now - datetime.timedelta(days=150)
        if contact is not None:
            earliest = max(earliest, contact.created_at)
        created = earliest + (now - earliest) * rng.uniform(0.0, 0.8)
        label = contact.company.name if contact is not None and contact.company_id else "Acme"
        with clock.frozen(created):
            deal = services.deal_create(
                org=org,
                actor=owner,
                name=f"{label}: {rng.choice(DEAL_KINDS)}",
                pipeline=pipeline,
                contact=contact,  # the service links the contact's company
                owner=owner,
                value=rng.randrange(20, 1500) * 100_00,
                currency="USD",
                expected_close=(now + datetime.timedelta(days=rng.randint(-20, 120))).date(),
                source=rng.choice(["inbound", "outbound", "referral", "event"]),
                products=rng.sample(products, rng.randint(0, 2)),
            )
        outcome = rng.choices(OUTCOMES, weights=OUTCOME_WEIGHTS)[0]
        if isinstance(outcome, int):
            path = open_stages[1 : outcome + 1]
        else:
            path = [*open_stages[1 : rng.randint(1, len(open_stages))], closing[outcome]]
        moment, step = created, (now - created) / (len(path) + 1)
        for stage in path:
            moment += step * rng.uniform(0.6, 1.0)
            with clock.frozen(moment):
                deal = services.deal_move_stage(org=org, actor=owner, deal=deal, stage=stage)
        if outcome == StageType.LOST:
            with clock.frozen(moment):
                deal = services.deal_update(
                    org=org, actor=owner, deal=deal, lost_reason=rng.choice(LOST_REASONS)
                )
        deals.append(deal)
    return deals
