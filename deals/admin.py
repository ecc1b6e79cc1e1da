"""Admin for pipelines, deals and products. Every save goes through ``deals.services``; the
forms check what the services would refuse (same organization, stage of the pipeline, slug
free), so an administrator sees a form error rather than a failure.
"""

from django import forms
from django.contrib import admin

from deals import services
from deals.models import Deal, DealStageChange, Pipeline, Product, Stage


def _adopt(obj, saved) -> None:
    """Make the admin's object the one the service saved (the admin logs and redirects with it)."""
    obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
    obj._state.adding = False
    obj._state.db = saved._state.db


def _changes(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.changed_data}


class OrgConsistentForm(forms.ModelForm):
    """Linked objects must belong to the object's organization."""

    linked_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        org = cleaned.get("org") or getattr(self.instance, "org", None)
        if org is None:
            return cleaned
        for name in self.linked_fields:
            linked = cleaned.get(name)
            if linked is not None and linked.org_id != org.pk:
                self.add_error(name, "Must belong to the same organization.")
        return cleaned


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
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "org", "is_default", "created_at"]
    list_filter = ["is_default"]
    search_fields = ["name"]
    raw_id_fields = ["org"]
    fields = ["org", "name", "is_default", "metadata"]
    inlines = [StageInline]
    actions = None  # no bulk delete: each deletion is checked

    def get_readonly_fields(self, request, obj=None):
        return ["org"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.pipeline_update(pipeline=obj, actor=request.user, **_changes(form))
        else:
            data = form.cleaned_data
            saved = services.pipeline_create(
                org=data["org"],
                name=data["name"],
                is_default=data.get("is_default", False),
                metadata=data.get("metadata") or {},
                actor=request.user,
            )
        _adopt(obj, saved)

    def has_delete_permission(self, request, obj=None):
        """The default pipeline, and one with deals, cannot be deleted (the API says 409)."""
        if obj is not None and (obj.is_default or Deal.objects.filter(pipeline=obj).exists()):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.pipeline_delete(pipeline=obj, actor=request.user)


# -- deals ------------------------------------------------------------------------------------


class DealAdminForm(OrgConsistentForm):
    linked_fields = ("pipeline", "stage", "contact", "company", "owner")

    class Meta:
        model = Deal
        fields = [
            "org",
            "name",
            "pipeline",
            "stage",
            "contact",
            "company",
            "owner",
            "value",
            "currency",
            "status",
            "expected_close",
            "source",
            "lost_reason",
            "metadata",
        ]

    def clean(self):
        cleaned = super().clean()
        pipeline, stage = cleaned.get("pipeline"), cleaned.get("stage")
        if pipeline is not None and stage is not None and stage.pipeline_id != pipeline.pk:
            self.add_error("stage", "Must be a stage of the pipeline.")
        return cleaned


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
class DealAdmin(admin.ModelAdmin):
    """A stage changed here goes through ``deal_move_stage`` (history row, won/lost effects)."""

    form = DealAdminForm
    list_display = ["name", "org", "pipeline", "stage", "status", "value", "currency", "created_at"]
    list_filter = ["status"]
    search_fields = ["name"]
    raw_id_fields = ["org", "pipeline", "stage", "contact", "company", "owner"]
    inlines = [DealStageChangeInline]

    def get_readonly_fields(self, request, obj=None):
        computed = ["stage_entered_at", "closed_at", "last_activity_at"]
        return ["org", *computed] if obj is not None else computed

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.deal_update(deal=obj, actor=request.user, **_changes(form))
        else:
            data = dict(form.cleaned_data)
            org = data.pop("org")
            saved = services.deal_create(org=org, actor=request.user, **data)
        _adopt(obj, saved)

    def delete_model(self, request, obj):
        services.deal_delete(deal=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for deal in queryset:
            services.deal_delete(deal=deal, actor=request.user)


# -- products ---------------------------------------------------------------------------------


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["org", "name", "slug", "description", "price", "currency", "is_active", "metadata"]

    def clean(self):
        cleaned = super().clean()
        org = cleaned.get("org") or getattr(self.instance, "org", None)
        slug = cleaned.get("slug")
        if org is not None and slug:
            taken = Product.objects.for_org(org).filter(slug__iexact=slug).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("slug", "Another product of this organization has this slug.")
        return cleaned


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["name", "slug", "org", "price", "currency", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["org"]

    def get_readonly_fields(self, request, obj=None):
        return ["org"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.product_update(product=obj, actor=request.user, **_changes(form))
        else:
            data = dict(form.cleaned_data)
            saved = services.product_create(org=data.pop("org"), actor=request.user, **data)
        _adopt(obj, saved)

    def delete_model(self, request, obj):
        services.product_delete(product=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for product in queryset:
            services.product_delete(product=product, actor=request.user)
