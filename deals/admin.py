"""Admin for pipelines, stages, deals and products: every write goes through ``deals.services``
(a stage changed on a deal's page, or by the "Move to stage" action, is ``deal_move_stage``)."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.functional import cached_property

from contacts.models import Company, Contact
from deals import services
from deals.currencies import MINOR_UNIT_DIGITS, format_money, normalize_currency
from deals.filtersets import DealFilterSet, ProductFilterSet
from deals.models import Deal, DealStageChange, Pipeline, Product, Stage
from rexcrm.core.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, ServiceModelForm, attach_inline
from rexcrm.core.services import Writes

# -- pipelines and stages -------------------------------------------------------------------------


class StageInline(ReadOnlyInline):
    """Stages are added and reordered through the API (positions stay contiguous); each is
    renamed, recoloured or deleted on its own page."""

    model = Stage
    fields = ["position", "name", "type", "color"]
    ordering = ["position"]
    limit = 100


@admin.register(Pipeline)
class PipelineAdmin(ServiceAdmin):
    writes = services.PIPELINE_WRITES
    list_display = ["name", "org", "is_default", "created_at"]
    list_filter = ["is_default", "org"]
    search_fields = ["name"]
    search_help_text = "Name, or a pasted pipe_… id."
    readonly_fields = ["created_at", "updated_at"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(ServiceAdmin):
    """Rename, recolour, retype (refused while deals are on it) or delete (refused while deals
    are on it: move them first) a stage; new stages are added through the API."""

    writes = Writes(
        Stage, create=services.stage_add, update=services.stage_update, delete=services.stage_delete
    )
    list_display = ["name", "pipeline", "position", "type", "color", "org"]
    list_filter = ["type", "pipeline", "org"]
    list_select_related = ["pipeline"]
    search_fields = ["name", "pipeline__name"]
    search_help_text = "Stage or pipeline name, or a pasted stg_… id."
    ordering = ["pipeline", "position"]
    readonly_fields = ["pipeline", "position", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False


# -- deals ------------------------------------------------------------------------------------


class MoneyForm(ServiceModelForm):
    """Amounts typed in the currency's units (``4800.00``) and stored in minor units (``480000``,
    what the services take): ``money_fields`` maps each amount field to its currency field. A
    new currency sends the amount again, read in the new currency's units."""

    money_fields = {"value": "currency"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for amount, currency in self.money_fields.items():
            if amount in self.fields:
                digits = MINOR_UNIT_DIGITS.get(getattr(self.instance, currency), 2)
                self.fields[amount] = forms.DecimalField(
                    label=self.fields[amount].label,
                    help_text="In the currency's units: 4800.00 for $4,800.00, 480 for ¥480.",
                )
                self.initial[amount] = Decimal(getattr(self.instance, amount)).scaleb(-digits)

    @cached_property
    def changed_data(self):
        changed = super().changed_data
        again = [amount for amount, currency in self.money_fields.items() if currency in changed]
        return [*changed, *(name for name in again if name not in changed and name in self.fields)]

    def clean(self):
        cleaned = super().clean()
        for amount, currency in self.money_fields.items():
            value = cleaned.get(amount)
            if value is None:
                continue
            code = normalize_currency(cleaned.get(currency) or "") or "USD"
            minor = value.scaleb(MINOR_UNIT_DIGITS.get(code, 2))
            if minor != minor.to_integral_value():
                self.add_error(amount, f"At most {MINOR_UNIT_DIGITS.get(code, 2)} decimal places in {code}.")
            else:
                cleaned[amount] = int(minor)
        return cleaned


class DealAdminForm(MoneyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("pipeline", "stage"):  # the services default them (the default pipeline's first stage)
            if name in self.fields and self.instance._state.adding:
                self.fields[name].required = False


class DealStageChangeInline(ReadOnlyInline):
    model = DealStageChange
    fk_name = "deal"
    fields = ["changed_at", "from_stage", "to_stage", "changed_by"]
    ordering = ["-changed_at", "-id"]


class DealInline(ReadOnlyInline):
    model = Deal
    fields = ["name", "stage", "status", "amount", "owner", "created_at"]
    ordering = ["-created_at", "-id"]

    @admin.display(description="Value")
    def amount(self, deal):
        return format_money(deal.value, deal.currency)


attach_inline(Contact, DealInline)
attach_inline(Company, DealInline)


class MoveStageForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), help_text="Each deal moves there through "
                                   "deal_move_stage: a history row each; a won or lost stage closes it.")  # fmt: skip

    def __init__(self, *args, org_ids, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["stage"]
        field.queryset = Stage.objects.filter(org__in=org_ids).select_related("pipeline").order_by("pipeline__name", "position")  # fmt: skip
        field.label_from_instance = lambda stage: f"{stage.pipeline.name} / {stage.name}"


@admin.register(Deal)
class DealAdmin(ServiceAdmin):
    """A stage changed here goes through ``deal_move_stage`` (history row, won/lost effects)."""

    writes = services.DEAL_WRITES
    form = DealAdminForm
    filterset_class = DealFilterSet
    list_display = ["name", "org", "stage", "status", "amount", "contact", "owner", "expected_close"]
    list_filter = ["status", "pipeline", "stage", "owner", "org"]
    search_fields = ["name"]
    search_help_text = (
        "Name (as the API's search=), or a pasted deal_… id (or a cont_…, comp_… id: its deals)."
    )
    date_hierarchy = "created_at"
    readonly_fields = [
        "amount",
        "stage_entered_at",
        "closed_at",
        "last_activity_at",
        "created_at",
        "updated_at",
    ]
    inlines = [DealStageChangeInline]
    actions = [*ServiceAdmin.actions, "move_to_stage"]

    @admin.display(description="Value", ordering="value")
    def amount(self, deal):
        return format_money(deal.value, deal.currency)

    @admin.action(description="Move selected deals to a stage…")
    def move_to_stage(self, request, queryset):
        deals = list(queryset.select_related("org"))
        form = MoveStageForm(
            request.POST if "apply" in request.POST else None, org_ids={d.org_id for d in deals}
        )
        if not form.is_valid():
            return self.confirm(request, queryset, title="Move deals to a stage", form=form, action="move_to_stage",
                                text=f"Move {len(deals)} deal(s) to this stage.")  # fmt: skip
        stage = form.cleaned_data["stage"]
        for deal in deals:
            services.deal_move_stage(org=deal.org, actor=request.user, deal=deal, stage=stage)
        self.message_user(request, f"Moved {len(deals)} deal(s) to {stage.pipeline.name} / {stage.name}.")
        return None


@admin.register(DealStageChange)
class DealStageChangeAdmin(ReadOnlyAdmin):
    """Stage history: written by ``deal_move_stage`` only."""

    list_display = ["deal", "from_stage", "to_stage", "changed_at", "changed_by", "org"]
    list_filter = ["changed_by", "org"]
    search_fields = ["deal__name"]
    search_help_text = "Deal name, or a pasted dsc_… or deal_… id."
    date_hierarchy = "changed_at"
    ordering = ["-changed_at", "-id"]


# -- products --------------------------------------------------------------------------------


class ProductAdminForm(MoneyForm):
    money_fields = {"price": "currency"}


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    writes = services.PRODUCT_WRITES
    form = ProductAdminForm
    filterset_class = ProductFilterSet
    list_display = ["name", "slug", "org", "list_price", "is_active", "created_at"]
    list_filter = ["is_active", "currency", "org"]
    search_fields = ["name", "slug"]
    search_help_text = "Name or slug, or a pasted prod_… id."
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="Price", ordering="price")
    def list_price(self, product):
        return format_money(product.price, product.currency)
