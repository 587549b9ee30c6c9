from django import forms
from django.utils.translation import gettext_lazy

from agora.moderation.models import Flag


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Why?"), choices=Flag.Reason.choices, widget=forms.RadioSelect
    )
    message = forms.CharField(
        label=gettext_lazy("Tell the moderators more (optional)"), max_length=500, required=False
    )
