"""The query language of contacts and companies, shared by the API, the UI and the admin."""

import django_filters
from django import forms
from django.db.models import F, Value
from django.db.models.functions import Concat, Trim
from drf_spectacular.drainage import set_override

from contacts.choices import CompanySize, ContactSource, ContactStage
from contacts.domains import DOMAIN_PATTERN, check_api_domain, normalize_domain
from contacts.models import Company, Contact
from rexcrm.core.filters import (
    CharInFilter,
    ChoiceInFilter,
    DateTimeBoundFilter,
    OrgFilterSet,
    SearchFilter,
    StrictIntegerField,
    TypeIdInFilter,
)

# What search= looks in (the PostgreSQL trigram indexes of migration 0003 use the same fields),
# and the texts an exact or prefix match is ranked on.
CONTACT_SEARCH_FIELDS = ("first_name", "last_name", "email", "phone")
CONTACT_RANKED = (
    Trim(Concat(F("first_name"), Value(" "), F("last_name"))),
    "first_name",
    "last_name",
    "email",
    "phone",
)
COMPANY_SEARCH_FIELDS = ("name", "domain")


class IntegerFilter(django_filters.NumberFilter):
    field_class = StrictIntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bounds = {"minimum": kwargs.get("min_value"), "maximum": kwargs.get("max_value")}
        set_override(self, "field", {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}})


class EmailInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated email addresses, each validated, matched case-insensitively."""

    field_class = forms.EmailField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "format": "email"})


class DomainFormField(forms.CharField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "strip": False})  # as the document's pattern reads it

    def to_python(self, value):
        value = super().to_python(value)
        if value:
            check_api_domain(value)
        return normalize_domain(value) if value else value


class DomainInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated domains, each normalised (``www.Acme.com`` finds ``acme.com``)."""

    field_class = DomainFormField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "pattern": DOMAIN_PATTERN})


class ContactFilterSet(OrgFilterSet):
    sort_fields = ("created_at", "updated_at", "last_name", "icp_score", "last_activity_at")

    stage = ChoiceInFilter(choices=ContactStage.choices, label="Stage(s), comma-separated")
    source = ChoiceInFilter(choices=ContactSource.choices, label="Source(s), comma-separated")
    company_id = TypeIdInFilter(
        field_name="company_id", prefix="comp", label="Company id(s), comma-separated"
    )
    owner_id = TypeIdInFilter(field_name="owner_id", prefix="user", label="Owner id(s), comma-separated")
    email = EmailInFilter(
        method="filter_email", label="Email(s), exact but case-insensitive, comma-separated"
    )
    icp_score_min = IntegerFilter(
        field_name="icp_score", lookup_expr="gte", min_value=0, max_value=100, label="ICP score at least"
    )
    icp_score_max = IntegerFilter(
        field_name="icp_score", lookup_expr="lte", min_value=0, max_value=100, label="ICP score at most"
    )
    last_activity_after = DateTimeBoundFilter(
        field_name="last_activity_at", lookup_expr="gte", label="Last activity at or after (inclusive)"
    )
    last_activity_before = DateTimeBoundFilter(
        field_name="last_activity_at", lookup_expr="lt", label="Last activity before (exclusive)"
    )
    search = SearchFilter(
        fields=CONTACT_SEARCH_FIELDS,
        ranked=CONTACT_RANKED,
        label="Search name, email and phone; ranked exact > prefix > contains",
    )
    q = SearchFilter(
        fields=CONTACT_SEARCH_FIELDS, ranked=CONTACT_RANKED, alias_of="search", label="Alias of search"
    )

    class Meta:
        model = Contact
        fields = []

    def filter_email(self, queryset, name, value):
        return queryset.with_email(*value) if value else queryset


class CompanyFilterSet(OrgFilterSet):
    sort_fields = ("name", "created_at", "updated_at")

    owner_id = TypeIdInFilter(field_name="owner_id", prefix="user", label="Owner id(s), comma-separated")
    industry = CharInFilter(field_name="industry", label="Industry (exact), comma-separated")
    size = ChoiceInFilter(choices=CompanySize.choices, label="Size(s), comma-separated")
    domain = DomainInFilter(method="filter_domain", label="Domain(s), normalised, comma-separated")
    search = SearchFilter(
        fields=COMPANY_SEARCH_FIELDS, label="Search name and domain; ranked exact > prefix > contains"
    )
    q = SearchFilter(fields=COMPANY_SEARCH_FIELDS, alias_of="search", label="Alias of search")

    class Meta:
        model = Company
        fields = []

    def filter_domain(self, queryset, name, value):
        return queryset.with_domain(*value) if value else queryset
