from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agora.search.query import MAX_QUERY
from agora.search.registry import kinds_in_order


def kind_choices() -> list[tuple[str, str]]:
    """Every registered kind, in the page's order (posts, members, tags, works, models...)."""
    return [(kind.choice, kind.label) for kind in kinds_in_order()]


class SearchForm(forms.Form):
    """Every field is optional and forgiving: a bad value is ignored, never an error page."""

    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(label=_("Search in"), choices=kind_choices, required=False)
    category = forms.CharField(label=_("Category"), required=False, max_length=80)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=40)
    author = forms.CharField(label=_("Author"), required=False, max_length=150)
    after = forms.DateField(
        label=_("After"), required=False, widget=forms.DateInput({"type": "date"})
    )
    before = forms.DateField(
        label=_("Before"), required=False, widget=forms.DateInput({"type": "date"})
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any")),
            ("open", _("Open")),
            ("closed", _("Closed")),
            ("solved", _("Solved")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("relevance", _("Relevance")), ("newest", _("Newest"))],
    )
    # "in=bookmarks": only posts the searcher bookmarked
    page = forms.IntegerField(required=False, min_value=1, max_value=50)

    def clean_q(self) -> str:
        return self.cleaned_data["q"][: MAX_QUERY * 4]

    def value(self, name: str, default=None):
        """The cleaned value, or the default when it was missing or invalid."""
        if name in self.errors:
            return default
        return self.cleaned_data.get(name) or default
