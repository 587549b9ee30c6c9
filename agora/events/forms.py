from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from agora.core.limits import max_length
from agora.core.timezones import is_valid_timezone
from agora.events.models import MAX_CAPACITY, Event


class EventForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Event.Kind.choices)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    speakers = forms.CharField(label=gettext_lazy("Speakers"), max_length=300, required=False)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    timezone = forms.CharField(
        label=gettext_lazy("Time zone of the event"),
        max_length=64,
        help_text=gettext_lazy("Start and end are in this zone, e.g. Asia/Shanghai."),
        widget=forms.TextInput(attrs={"list": "timezone-list", "autocomplete": "off"}),
    )
    online_url = forms.CharField(
        label=gettext_lazy("Online link"),
        required=False,
        max_length=max_length(Event, "online_url"),
    )
    venue = forms.CharField(label=gettext_lazy("Venue"), required=False, max_length=300)
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity"), required=False, min_value=1, max_value=MAX_CAPACITY
    )

    def clean_timezone(self) -> str:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        name = self.cleaned_data["timezone"].strip()
        if not is_valid_timezone(name):
            raise ValidationError(_("Unknown time zone: %(name)s") % {"name": name[:64]})
        return name

    def clean(self):
        """Read start and end as wall-clock times in the event's own zone."""
        import zoneinfo

        data = super().clean()
        name = data.get("timezone")
        if name:
            zone = zoneinfo.ZoneInfo(name)
            for field in ("starts_at", "ends_at"):
                if data.get(field):
                    data[field] = data[field].replace(tzinfo=None).replace(tzinfo=zone)
        return data


class MaterialsForm(forms.Form):
    slides_url = forms.CharField(
        label=gettext_lazy("Slides"), required=False, max_length=max_length(Event, "slides_url")
    )
    recording_url = forms.CharField(
        label=gettext_lazy("Recording"),
        required=False,
        max_length=max_length(Event, "recording_url"),
    )
