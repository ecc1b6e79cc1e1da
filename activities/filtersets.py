import django_filters
from django.db.models import Q

from activities.choices import ActivityStatus, ActivityType, Direction, TaskPriority, TaskStatus
from activities.models import Activity, Task
from rexcrm.core import clock
from rexcrm.core.filters import (
    BooleanFilter,
    CharInFilter,
    ChoiceInFilter,
    DateTimeBoundFilter,
    OrgFilterSet,
    TypeIdInFilter,
)


class ActivityFilterSet(OrgFilterSet):
    sort_fields = ("occurred_at", "created_at", "updated_at", "duration")
    default_sort = "-occurred_at"

    type = ChoiceInFilter(choices=ActivityType.choices)
    status = ChoiceInFilter(choices=ActivityStatus.choices)
    direction = ChoiceInFilter(choices=Direction.choices)
    subtype = CharInFilter()
    source = CharInFilter()
    external_id = django_filters.CharFilter(label="Exact id in the source system")
    generated_by = CharInFilter()
    contact_id = TypeIdInFilter(field_name="contact", prefix="cont")
    company_id = TypeIdInFilter(field_name="company", prefix="comp")
    deal_id = TypeIdInFilter(field_name="deal", prefix="deal")
    owner_id = TypeIdInFilter(field_name="owner", prefix="user")
    after = DateTimeBoundFilter(
        field_name="occurred_at", lookup_expr="gte", label="Occurred at or after (inclusive)"
    )
    before = DateTimeBoundFilter(
        field_name="occurred_at", lookup_expr="lt", label="Occurred before (exclusive)"
    )
    search = django_filters.CharFilter(method="filter_search", label="Full-text search in subject and body")
    q = django_filters.CharFilter(method="filter_search", label="Alias of search")

    class Meta:
        model = Activity
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.search(value)


# -- tasks ---------------------------------------------------------------------------------------
# The query language of tasks: used by the API, the UI and the admin.


def overdue_q() -> Q:
    """Pending and due before now (the ``is_overdue`` of the representation)."""
    return Q(status=TaskStatus.PENDING, due_at__lt=clock.now())


class TaskFilterSet(OrgFilterSet):
    sort_fields = ("due_at", "priority", "created_at")
    sort_columns = {"priority": "priority_rank"}  # low < normal < high < urgent
    default_sort = "due_at"  # tasks without a due date come last

    status = ChoiceInFilter(choices=TaskStatus.choices, help_text="Status (comma-separated)")
    priority = ChoiceInFilter(choices=TaskPriority.choices, help_text="Priority (comma-separated)")
    contact_id = TypeIdInFilter(
        field_name="contact_id", prefix="cont", help_text="Contact ids (comma-separated)"
    )
    company_id = TypeIdInFilter(
        field_name="company_id", prefix="comp", help_text="Company ids (comma-separated)"
    )
    deal_id = TypeIdInFilter(field_name="deal_id", prefix="deal", help_text="Deal ids (comma-separated)")
    owner_id = TypeIdInFilter(
        field_name="owner_id", prefix="user", help_text="Assignee (user) ids (comma-separated)"
    )
    due_after = DateTimeBoundFilter(
        field_name="due_at", lookup_expr="gte", label="Due at or after (ISO 8601, inclusive)"
    )
    due_before = DateTimeBoundFilter(
        field_name="due_at", lookup_expr="lt", label="Due before (ISO 8601, exclusive)"
    )
    overdue = BooleanFilter(
        method="filter_overdue", label="true: pending tasks due before now; false: every other task"
    )

    class Meta:
        model = Task
        fields = []

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())
