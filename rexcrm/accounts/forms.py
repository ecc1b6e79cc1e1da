"""Form fields the settings pages and the admin share."""

from django import forms

from rexcrm.core.validators import time_zone_names


class TimeZoneField(forms.CharField):
    """A member's time zone, picked from the IANA names. Only the service validates the value,
    so a name that is not one is refused in the service's words, whichever door sent it."""

    def __init__(self, **kwargs):
        choices = [(name, name.replace("_", " ")) for name in sorted(time_zone_names())]
        kwargs["label"] = "Time zone"
        kwargs.setdefault("help_text", "Dates and times on the web UI and the admin are shown in this zone.")
        super().__init__(
            widget=forms.Select(choices=choices), **{k: v for k, v in kwargs.items() if k != "widget"}
        )
