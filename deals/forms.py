"""The web UI's deal form (saved through ``deals.services``): the value typed in the
currency's major unit (dollars) and stored in its minor unit (cents), the stage chosen
across pipelines (a stage implies its pipeline)."""

from decimal import Decimal

from django import forms

from deals.currencies import MINOR_UNIT_DIGITS
from deals.models import Deal, Stage
from deals.services import DEAL_WRITES
from rexcrm.core.forms import RecordForm


def minor_digits(currency: str) -> int:
    return MINOR_UNIT_DIGITS.get((currency or "").upper(), 2)


class DealForm(RecordForm):
    writes = DEAL_WRITES
    value = forms.DecimalField(label="Value", required=False, min_value=0, max_digits=20)

    class Meta:
        model = Deal
        fields = [
            "name", "value", "currency", "stage", "status", "expected_close", "contact", "company", "owner",
            "products", "source", "lost_reason",
        ]  # fmt: skip
        labels = {"lost_reason": "Lost because"}
        widgets = {"lost_reason": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stage = self.fields["stage"]
        stage.queryset = stage.queryset.select_related("pipeline").order_by("pipeline__name", "position")
        stage.label_from_instance = lambda s: f"{s.pipeline.name}: {s.name}"
        if self.instance._state.adding:
            stage.required = False
            stage.empty_label = "First stage of the default pipeline"
        else:
            self.initial["value"] = Decimal(self.instance.value) / 10 ** minor_digits(self.instance.currency)
        self.fields["products"].queryset = self.fields["products"].queryset.order_by("name")
        self.fields["products"].required = False

    def clean(self):
        data = super().clean()
        value = data.get("value")
        if value is not None:
            digits = minor_digits(data.get("currency") or self.instance.currency)
            minor = value * 10**digits
            if minor != minor.to_integral_value():
                self.add_error("value", f"At most {digits} decimal places in this currency.")
            else:
                data["value"] = int(minor)
        elif "value" in data:
            data["value"] = 0
        return data

    def service_changes(self) -> dict:
        changes = super().service_changes()
        if "currency" in changes and "value" in self.cleaned_data:
            changes["value"] = self.cleaned_data["value"]  # the amount is read in the new currency
        if changes.get("stage") is None:
            changes.pop("stage", None)  # a new deal: the default pipeline's first stage
        elif isinstance(changes["stage"], Stage):
            changes["pipeline"] = changes["stage"].pipeline  # a stage implies its pipeline
        return changes
