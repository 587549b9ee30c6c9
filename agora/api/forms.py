from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agora.api.models import WEBHOOK_EVENTS


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("e.g. the script using it"))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[("read", _("read")), ("write", _("write"))],
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
    )


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WEBHOOK_EVENTS, widget=forms.CheckboxSelectMultiple
    )
