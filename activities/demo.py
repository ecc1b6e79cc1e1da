"""Demo activities for ``make run``: a few hundred realistic interactions, through the services."""

import datetime
import random

from django.utils import timezone

from activities.choices import ActivityStatus, ActivityType, Direction
from activities.services import activity_create_many

CALL_SUBJECTS = [
    "Discovery call",
    "Pricing walkthrough",
    "Check-in call",
    "Negotiation call",
    "Reference call",
]
EMAIL_SUBJECTS = [
    "Intro",
    "Following up",
    "Proposal attached",
    "Re: pricing",
    "Contract redlines",
    "Next steps",
]
MEETING_SUBJECTS = ["Product demo", "Security review", "Quarterly business review", "Onboarding kickoff"]
NOTES = [
    "Budget confirmed for Q3; needs sign-off from the CFO.",
    "Champion is the VP of Sales; legal review expected to take two weeks.",
    "Asked for SSO and audit logs before the pilot.",
    "Competitor in the deal; price sensitivity is high.",
    "Wants a 30-day pilot with 10 seats.",
]


def seed_activities(*, org, owner, contacts, deals, rng: random.Random, count: int = 400) -> list:
    """Create ``count`` activities over the last 120 days (a few scheduled ahead), linked to the
    given contacts (and their companies) and deals. Deterministic for a given ``rng``."""
    now = timezone.now()
    items = []
    for index in range(count):
        contact = rng.choice(contacts) if contacts else None
        deal = rng.choice(deals) if deals and rng.random() < 0.4 else None
        kind = rng.choices(
            [ActivityType.EMAIL, ActivityType.CALL, ActivityType.MEETING, ActivityType.NOTE],
            weights=[5, 3, 1, 2],
        )[0]
        scheduled = kind == ActivityType.MEETING and rng.random() < 0.2
        occurred_at = (
            now + datetime.timedelta(days=rng.randrange(1, 14))
            if scheduled
            else now - datetime.timedelta(minutes=rng.randrange(5, 120 * 24 * 60))
        )
        name = contact.first_name if contact else "there"
        fields = {
            "type": kind,
            "status": ActivityStatus.SCHEDULED if scheduled else ActivityStatus.COMPLETED,
            "contact": contact,
            "company": contact.company if contact else None,
            "deal": deal,
            "owner": owner,
            "occurred_at": occurred_at,
            "source": "demo",
        }
        if kind == ActivityType.EMAIL:
            fields |= {
                "subject": rng.choice(EMAIL_SUBJECTS),
                "body": f"Hi {name},\n\n{rng.choice(NOTES)}\n\nBest,\n{owner.first_name}",
                "direction": rng.choice([Direction.INBOUND, Direction.OUTBOUND]),
                "external_id": f"demo-email-{index}",
            }
        elif kind == ActivityType.CALL:
            fields |= {
                "subject": rng.choice(CALL_SUBJECTS),
                "body": rng.choice(NOTES),
                "direction": Direction.OUTBOUND,
                "duration": rng.randrange(120, 2700),
            }
        elif kind == ActivityType.MEETING:
            fields |= {"subject": rng.choice(MEETING_SUBJECTS), "duration": rng.choice([1800, 2700, 3600])}
        else:
            fields |= {"subject": "Note", "body": rng.choice(NOTES)}
        items.append(fields)
    return [activity for activity, _ in activity_create_many(org=org, items=items)]
