"""The query language of pipelines, deals and products: used by the API, the UI and the admin."""

import django_filters
from django import forms
from django.db.models import Q

from deals.choices import DealStatus
from deals.models import Deal, DealStageChange, Pipeline, Product
from rexcrm.core.filters import (
    BooleanFilter,
    ChoiceInFilter,
    OrgFilterSet,
    StrictIntegerField,
    TypeIdInFilter,
)


class CentsFilter(django_filters.NumberFilter):
    field_class = StrictIntegerField


class StrictDateField(forms.DateField):
    """``YYYY-MM-DD`` only."""

    input_formats = ["%Y-%m-%d"]


class DateBoundFilter(django_filters.DateFilter):
    field_class = StrictDateField


def search_name(queryset, name, value):
    value = value.strip()
    return queryset.filter(name__icontains=value) if value else queryset


class PipelineFilterSet(OrgFilterSet):
    sort_fields = ("created_at", "updated_at", "name")

    class Meta:
        model = Pipeline
        fields = []


class DealFilterSet(OrgFilterSet):
    sort_fields = ("created_at", "updated_at", "value", "expected_close", "name")

    status = ChoiceInFilter(choices=DealStatus.choices, help_text="Status (comma-separated)")
    pipeline_id = TypeIdInFilter(
        field_name="pipeline_id", prefix="pipe", help_text="Pipeline ids (comma-separated)"
    )
    stage_id = TypeIdInFilter(field_name="stage_id", prefix="stg", help_text="Stage ids (comma-separated)")
    contact_id = TypeIdInFilter(
        field_name="contact_id", prefix="cont", help_text="Contact ids (comma-separated)"
    )
    company_id = TypeIdInFilter(
        field_name="company_id", prefix="comp", help_text="Company ids (comma-separated)"
    )
    owner_id = TypeIdInFilter(
        field_name="owner_id", prefix="user", help_text="Owner (user) ids (comma-separated)"
    )
    value_min = CentsFilter(field_name="value", lookup_expr="gte", label="Value at least (cents, inclusive)")
    value_max = CentsFilter(field_name="value", lookup_expr="lte", label="Value at most (cents, inclusive)")
    expected_close_after = DateBoundFilter(
        field_name="expected_close",
        lookup_expr="gte",
        label="Expected close on or after (YYYY-MM-DD, inclusive)",
    )
    expected_close_before = DateBoundFilter(
        field_name="expected_close", lookup_expr="lt", label="Expected close before (YYYY-MM-DD, exclusive)"
    )
    search = django_filters.CharFilter(method="filter_search", label="Search the name")
    q = django_filters.CharFilter(method="filter_search", label="Alias of search")

    class Meta:
        model = Deal
        fields = []

    def filter_search(self, queryset, name, value):
        return search_name(queryset, name, value)


class DealStageChangeFilterSet(OrgFilterSet):
    sort_fields = ("changed_at",)
    default_sort = "changed_at"

    class Meta:
        model = DealStageChange
        fields = []


class ProductFilterSet(OrgFilterSet):
    sort_fields = ("created_at", "updated_at", "name")

    is_active = BooleanFilter(label="Active (true) or retired (false) products")
    search = django_filters.CharFilter(method="filter_search", label="Search name and slug")
    q = django_filters.CharFilter(method="filter_search", label="Alias of search")

    class Meta:
        model = Product
        fields = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))
