"""Demo activities for ``make run``: a few hundred realistic interactions, through the services."""

import datetime
import random

from activities.choices import ActivityStatus, ActivityType, Direction, TaskPriority, TaskStatus
from activities.models import Task
from activities.services import activity_create_many, task_create, task_update
from rexcrm.core import clock

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
    """Create ``count`` activities (a few meetings scheduled ahead): about two in five on a deal,
    with the deal's contact, between the deal's creation and its close (or now); the others
    with a contact, since that contact was created. Companies follow the contacts.
    Deterministic for a given ``rng``."""
    now = clock.now()
    items = []
    for index in range(count):
        deal = rng.choice(deals) if deals and rng.random() < 0.4 else None
        contact = deal.contact if deal is not None else (rng.choice(contacts) if contacts else None)
        start = deal.created_at if deal is not None else (contact.created_at if contact else now)
        end = (deal.closed_at if deal is not None else None) or now
        kind = rng.choices(
            [ActivityType.EMAIL, ActivityType.CALL, ActivityType.MEETING, ActivityType.NOTE],
            weights=[5, 3, 1, 2],
        )[0]
        scheduled = kind == ActivityType.MEETING and end == now and rng.random() < 0.2
        occurred_at = (
            now + datetime.timedelta(days=rng.randrange(1, 14), hours=rng.randrange(0, 8))
            if scheduled
            else start + (end - start) * rng.random()
        )
        name = contact.first_name if contact else "there"
        fields = {
            "type": kind,
            "status": ActivityStatus.SCHEDULED if scheduled else ActivityStatus.COMPLETED,
            "contact": contact,
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
    return [activity for activity, _ in activity_create_many(org=org, actor=owner, items=items)]


# -- tasks ---------------------------------------------------------------------------------------
# Demo tasks for ``make run``: open, overdue and completed work for the demo user.
#
# Called by the demo seeder after ``seed_deals``::
#
#     tasks = seed_tasks(org=org, owner=user, contacts=contacts, deals=deals, rng=rng)
#
# Through the task services (so ``completed_at`` and the contacts' ``next_task_due_at`` are
# right); deterministic for a given ``random.Random`` seed (relative to now).


TITLES = [
    "Follow up on the proposal",
    "Send pricing for the team plan",
    "Book a demo with the buying committee",
    "Call to confirm budget",
    "Share the security questionnaire",
    "Prepare the renewal quote",
    "Check in after the pilot",
    "Introduce the onboarding team",
    "Ask for a referral",
    "Send the contract for signature",
]
# (how many, due relative to now in hours (range), final status)
PLAN = [
    (5, (-24 * 10, -2), TaskStatus.PENDING),  # overdue
    (6, (2, 24 * 14), TaskStatus.PENDING),  # coming up
    (2, None, TaskStatus.PENDING),  # no due date
    (5, (-24 * 20, -24), TaskStatus.COMPLETED),  # done
    (1, (-24 * 5, -24), TaskStatus.CANCELLED),
]


def seed_tasks(*, org, owner, contacts, deals, rng: random.Random) -> list[Task]:
    contacts, deals = list(contacts), list(deals)
    now = clock.now()
    tasks = []
    for count, due_range, status in PLAN:
        for _ in range(count):
            due_at = None if due_range is None else now + datetime.timedelta(hours=rng.randint(*due_range))
            deal = rng.choice(deals) if deals and rng.random() < 0.6 else None
            contact = (deal.contact if deal is not None else None) or (
                rng.choice(contacts) if contacts else None
            )
            created = (due_at or now) - datetime.timedelta(days=rng.randint(1, 10))
            with clock.frozen(min(created, now)):
                task = task_create(
                    org=org,
                    actor=owner,
                    title=rng.choice(TITLES),
                    owner=owner,
                    contact=contact,
                    company=contact.company if contact is not None else None,
                    deal=deal,
                    due_at=due_at,
                    priority=rng.choice(TaskPriority.values),
                )
            if status != TaskStatus.PENDING:
                with clock.frozen(min(due_at or now, now)):
                    task = task_update(org=org, actor=owner, task=task, status=status)
            tasks.append(task)
    return tasks
