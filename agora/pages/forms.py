from django import forms
from django.utils.translation import gettext_lazy

from agora.pages.models import SitePage


class PageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Text (Markdown)"),
        max_length=SitePage._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 24}),
    )
