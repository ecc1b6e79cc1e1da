from drf_spectacular.utils import extend_schema, extend_schema_view

from activities import task_selectors, task_services
from activities.api.task_serializers import TaskSerializer
from activities.task_filtersets import TaskFilterSet
from contacts.api.serializers import CompanySerializer, ContactSerializer
from contacts.models import Company, Contact
from deals.api.serializers import DealSerializer
from deals.models import Deal
from rexcrm.accounts.api.serializers import UserSerializer
from rexcrm.core.api.relations import Relation
from rexcrm.core.api.service_errors import ServiceErrorsMixin
from rexcrm.core.api.sublists import SubListMixin
from rexcrm.core.api.views import (
    CreateMixin,
    DestroyMixin,
    ListMixin,
    ResourceViewSet,
    RetrieveMixin,
    UpdateMixin,
)


def _actor(request):
    user = getattr(request, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


class TaskListMixin:
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
    sort_fields = ("due_at", "priority", "created_at")
    sort_columns = {"priority": "priority_rank"}  # low < normal < high < urgent
    default_sort = "due_at"  # tasks without a due date come last
    relations = {
        "contact": Relation("contact", "contact_id", ContactSerializer),
        "company": Relation("company", "company_id", CompanySerializer),
        "deal": Relation("deal", "deal_id", DealSerializer),
        "owner": Relation("owner", "owner_id", UserSerializer),
    }

    def get_queryset(self):
        return task_selectors.task_list(org=self.org)


@extend_schema_view(
    list=extend_schema(summary="List tasks (default: soonest due first, undated last)", tags=["tasks"]),
    retrieve=extend_schema(summary="Get a task", tags=["tasks"]),
    create=extend_schema(summary="Create a task", tags=["tasks"]),
    partial_update=extend_schema(summary="Update a task (only the fields sent)", tags=["tasks"]),
    destroy=extend_schema(summary="Delete a task", tags=["tasks"]),
)
class TaskViewSet(
    ServiceErrorsMixin,
    TaskListMixin,
    ListMixin,
    RetrieveMixin,
    CreateMixin,
    UpdateMixin,
    DestroyMixin,
    ResourceViewSet,
):
    """Future work (the activity log records the past)."""

    def perform_create(self, data):
        return task_services.task_create(org=self.org, actor=_actor(self.request), **data), True

    def perform_update(self, instance, data):
        return task_services.task_update(task=instance, actor=_actor(self.request), **data)

    def perform_destroy(self, instance):
        task_services.task_delete(task=instance, actor=_actor(self.request))


@extend_schema_view(list=extend_schema(summary="The tasks of a contact", tags=["tasks"]))
class ContactTaskViewSet(SubListMixin, TaskListMixin, ResourceViewSet):
    parent_model = Contact
    parent_filter = "contact_id"


@extend_schema_view(list=extend_schema(summary="The tasks of a deal", tags=["tasks"]))
class DealTaskViewSet(SubListMixin, TaskListMixin, ResourceViewSet):
    parent_model = Deal
    parent_filter = "deal_id"


@extend_schema_view(
    list=extend_schema(summary="The tasks of a company (linked to it directly)", tags=["tasks"])
)
class CompanyTaskViewSet(SubListMixin, TaskListMixin, ResourceViewSet):
    parent_model = Company
    parent_filter = "company_id"
