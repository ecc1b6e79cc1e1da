"""Demo tasks for ``make run``: open, overdue and completed work for the demo user.

Called by the demo seeder after ``deals.demo.seed_deals``::

    tasks = seed_tasks(org=org, owner=user, contacts=contacts, deals=deals, rng=rng)

Through the task services (so ``completed_at`` and the contacts' ``next_task_due_at`` are
right); deterministic for a given ``random.Random`` seed (relative to now).
"""

import datetime
import random

from activities.choices import TaskPriority, TaskStatus
from activities.models import Task
from activities.task_services import task_create, task_update
from rexcrm.core import clock

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
                    task = task_update(task=task, actor=owner, status=status)
            tasks.append(task)
    return tasks
