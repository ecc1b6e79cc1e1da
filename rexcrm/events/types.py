"""The event types (API.md §6.11) and the patterns that select them: ``contact.created``,
``deal.*`` (every type of a resource) and ``*`` (all). A webhook's ``event_types`` and the
``type=`` filter of ``GET /events`` take the same patterns."""

from django.core.exceptions import ValidationError
from django.db.models import Q

RESOURCES = ("contact", "company", "deal", "activity", "task", "product", "pipeline")
EVENT_TYPES = (
    *(f"{resource}.{verb}" for resource in RESOURCES for verb in ("created", "updated", "deleted")),
    "contact.merged",
    "deal.stage_changed",
    "deal.won",
    "deal.lost",
    "task.completed",
)
PING = "ping"  # sent to one webhook by POST /webhooks/:id/ping; not in GET /events


def clean_patterns(values) -> list[str]:
    """The patterns, checked (a ``ValidationError`` names the unknown ones) and deduplicated
    in order."""
    if not isinstance(values, list) or not values or not all(isinstance(value, str) for value in values):
        raise ValidationError('Must be a non-empty list of event types (["*"] for all).', code="invalid")
    patterns = list(dict.fromkeys(value.strip() for value in values))
    unknown = [
        p for p in patterns if p != "*" and p not in EVENT_TYPES and p.removesuffix(".*") not in RESOURCES
    ]
    if unknown:
        raise ValidationError(
            f"Unknown event type(s): {', '.join(unknown)}. Use a type such as contact.created, "
            f"a resource wildcard such as deal.*, or *.",
            code="invalid_choice",
        )
    return patterns


def matches(patterns, event_type: str) -> bool:
    return any(
        p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1])) for p in patterns
    )


def patterns_q(patterns) -> Q:
    """The patterns as a filter on ``type`` (a wildcard is a prefix match, which the
    ``(org, type, …)`` index serves)."""
    if "*" in patterns:
        return Q()
    exact = [p for p in patterns if not p.endswith(".*")]
    q = Q(type__in=exact) if exact else Q(pk__in=[])
    for p in patterns:
        if p.endswith(".*"):
            q |= Q(type__startswith=p[:-1])
    return q
