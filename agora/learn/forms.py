from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from agora.learn.models import Article


class ArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=500, required=False)
    difficulty = forms.ChoiceField(
        label=gettext_lazy("Difficulty"), choices=Article.Difficulty.choices
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    area = forms.ChoiceField(label=gettext_lazy("Area"), choices=Article.Area.choices)
    series = forms.CharField(
        label=gettext_lazy("Series (optional)"), max_length=200, required=False
    )
    part = forms.IntegerField(label=gettext_lazy("Part in the series"), required=False, min_value=1)
    body = forms.CharField(
        label=gettext_lazy("Article (Markdown)"),
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 20}),
    )


class EditArticleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    summary = forms.CharField(label=gettext_lazy("Summary"), max_length=500, required=False)
    body = forms.CharField(
        label=gettext_lazy("Article (Markdown)"),
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 20}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Markdown file"),
        help_text=gettext_lazy(
            "A .md file; front matter may give title, summary, difficulty, language, area, "
            "series and part."
        ),
    )
