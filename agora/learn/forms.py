from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from agora.core.limits import max_length
from agora.learn.models import Article, Resource


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
    part = forms.IntegerField(
        label=gettext_lazy("Part in the series"), required=False, min_value=1, max_value=1000
    )
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


class ResourceForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Resource.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    url = forms.CharField(
        label=gettext_lazy("Link"), max_length=max_length(Resource, "url"), required=False
    )
    arxiv_id = forms.CharField(
        label=gettext_lazy("arXiv id (papers)"), max_length=60, required=False
    )
    paper_authors = forms.CharField(
        label=gettext_lazy("Authors (papers)"), max_length=500, required=False
    )
    abstract = forms.CharField(
        label=gettext_lazy("Abstract (papers)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    licence = forms.CharField(label=gettext_lazy("Licence"), max_length=60, required=False)
    programming_language = forms.CharField(
        label=gettext_lazy("Programming language"), max_length=40, required=False
    )
    tags = forms.CharField(label=gettext_lazy("Tags"), max_length=300, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
