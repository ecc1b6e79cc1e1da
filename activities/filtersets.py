import django_filters

from activities.choices import ActivityStatus, ActivityType, Direction
from activities.models import Activity
from rexcrm.core.filters import (
    CharInFilter,
    ChoiceInFilter,
    DateTimeBoundFilter,
    OrgFilterSet,
    TypeIdInFilter,
)


class ActivityFilterSet(OrgFilterSet):
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
