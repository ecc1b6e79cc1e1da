import django_filters
from django.db.models import Q

from rexcrm.accounts.choices import ApiKeyScope
from rexcrm.accounts.models import ApiKey, User
from rexcrm.core.filters import BooleanFilter, ChoiceInFilter, OrgFilterSet


class UserFilterSet(OrgFilterSet):
    sort_fields = ("created_at", "email")

    is_active = BooleanFilter()
    search = django_filters.CharFilter(method="filter_search", label="Search name and email")

    class Meta:
        model = User
        fields = ["is_active"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(email__icontains=value) | Q(first_name__icontains=value) | Q(last_name__icontains=value)
        )


class ApiKeyFilterSet(OrgFilterSet):
    scope = ChoiceInFilter(choices=ApiKeyScope.choices)
    revoked = BooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ApiKey
        fields = []
