"""The web UI's activity and task forms (saved through ``activities.services``). A duration is
typed in minutes and stored in seconds."""

from django import forms

from activities.models import Activity, Task
from activities.services import ACTIVITY_WRITES, TASK_WRITES
from rexcrm.core.forms import RecordForm


class ActivityForm(RecordForm):
    writes = ACTIVITY_WRITES
    duration = forms.IntegerField(label="Duration (minutes)", required=False, min_value=0)

    class Meta:
        model = Activity
        fields = [
            "type", "status", "direction", "occurred_at", "duration", "subject", "contact", "company", "deal",
            "owner", "body",
        ]  # fmt: skip
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding and self.instance.duration is not None:
            self.initial["duration"] = self.instance.duration // 60

    def clean_duration(self):
        minutes = self.cleaned_data["duration"]
        return None if minutes is None else minutes * 60


class LogActivityForm(ActivityForm):
    """The Log activity form of a record page: the record's links are fixed by the page."""

    class Meta(ActivityForm.Meta):
        fields = ["type", "subject", "body", "occurred_at", "duration", "contact", "company", "deal"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 2}),
            "contact": forms.HiddenInput,
            "company": forms.HiddenInput,
            "deal": forms.HiddenInput,
        }


class TaskForm(RecordForm):
    writes = TASK_WRITES

    class Meta:
        model = Task
        fields = ["title", "due_at", "priority", "status", "owner", "contact", "deal", "description"]
        labels = {"due_at": "Due"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
