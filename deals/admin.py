"""Admin for pipelines, deals and products: every write goes through ``deals.services``."""

from django.contrib import admin

from deals import services
from deals.models import Deal, DealStageChange, Pipeline, Product, Stage
from rexcrm.core.admin import ServiceAdmin, ServiceModelForm

# -- pipelines --------------------------------------------------------------------------------


class StageInline(admin.TabularInline):
    """Stages are changed through the API (add, reorder, delete with move_to), which keeps
    positions contiguous and moves deals with history; here they are shown."""

    model = Stage
    fields = ["name", "type", "color", "position"]
    readonly_fields = fields
    ordering = ["position"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Pipeline)
class PipelineAdmin(ServiceAdmin):
    writes = services.PIPELINE_WRITES
    list_display = ["name", "org", "is_default", "created_at"]
    list_filter = ["is_default"]
    search_fields = ["name"]
    raw_id_fields = ["org"]
    inlines = [StageInline]


# -- deals ------------------------------------------------------------------------------------


class DealAdminForm(ServiceModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("pipeline", "stage"):  # the services default them (the default pipeline's first stage)
            if name in self.fields and self.instance._state.adding:
                self.fields[name].required = False


class DealStageChangeInline(admin.TabularInline):
    model = DealStageChange
    fk_name = "deal"
    fields = ["changed_at", "from_stage", "to_stage", "changed_by"]
    readonly_fields = fields
    ordering = ["changed_at", "id"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deal)
class DealAdmin(ServiceAdmin):
    """A stage changed here goes through ``deal_move_stage`` (history row, won/lost effects)."""

    writes = services.DEAL_WRITES
    form = DealAdminForm
    list_display = ["name", "org", "pipeline", "stage", "status", "value", "currency", "created_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    raw_id_fields = ["org", "pipeline", "stage", "contact", "company", "owner"]
    readonly_fields = ["stage_entered_at", "closed_at", "last_activity_at"]
    inlines = [DealStageChangeInline]


# -- products --------------------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    writes = services.PRODUCT_WRITES
    list_display = ["name", "slug", "org", "price", "currency", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["org"]
