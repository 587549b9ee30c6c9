from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from agora.forum.models import BODY_MAX, TITLE_MAX, Category, NotificationLevel


class ComposerMixin(forms.Form):
    raw = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=BODY_MAX,
        widget=forms.Textarea(
            attrs={
                "rows": 10,
                "class": "composer-text",
                "placeholder": gettext_lazy(
                    "Markdown, $math$, ```code``` and ```mermaid``` diagrams"
                ),
            }
        ),
    )


class TopicForm(ComposerMixin):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=TITLE_MAX)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=Category.objects.none(), empty_label=None
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        help_text=gettext_lazy("Up to 5, separated by commas or spaces."),
        widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off"}),
    )
    field_order = ["title", "category", "tags", "raw"]

    def __init__(self, *args, categories: list[Category], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(
            id__in=[c.id for c in categories]
        )
        self.fields["category"].label_from_instance = lambda c: c.display_name

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data["tags"].replace("，", ",")
        return [t for t in raw.replace(",", " ").split() if t]


class ReplyForm(ComposerMixin):
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EditPostForm(ComposerMixin):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=TITLE_MAX, required=False)


class NotificationLevelForm(forms.Form):
    level = forms.TypedChoiceField(choices=NotificationLevel.choices, coerce=int)


class PrivateMessageForm(ComposerMixin):
    recipients = forms.CharField(
        label=gettext_lazy("To"), help_text=gettext_lazy("Usernames, separated by commas.")
    )
    title = forms.CharField(label=gettext_lazy("Subject"), max_length=TITLE_MAX)
    field_order = ["recipients", "title", "raw"]
