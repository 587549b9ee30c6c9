from django import forms
from django.utils.translation import gettext_lazy

from agora.core.limits import max_length
from agora.showcase.models import Launch, PartnerRequest


class LaunchForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Product name"), max_length=120)
    tagline = forms.CharField(label=gettext_lazy("Tagline"), max_length=200)
    audience = forms.CharField(label=gettext_lazy("For whom"), max_length=300)
    website = forms.CharField(
        label=gettext_lazy("Website"), max_length=max_length(Launch, "website")
    )
    repository = forms.CharField(
        label=gettext_lazy("Repository (optional)"),
        max_length=max_length(Launch, "repository"),
        required=False,
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class TryForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("A note for the team (optional)"), max_length=500, required=False
    )
    consent = forms.BooleanField(
        label=gettext_lazy("Share my contact details with the owner"), required=False
    )


class PartnerRequestForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    role = forms.ChoiceField(label=gettext_lazy("Looking for"), choices=PartnerRequest.Role.choices)
    skills = forms.CharField(
        label=gettext_lazy("Skills wanted"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Comma-separated, e.g. pytorch, diffusion, product."),
    )
    location = forms.CharField(label=gettext_lazy("Location"), max_length=120, required=False)
    remote = forms.BooleanField(label=gettext_lazy("Remote is fine"), required=False, initial=True)
    days = forms.IntegerField(label=gettext_lazy("Open for (days)"), initial=30)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
