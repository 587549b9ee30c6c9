from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agora.core.timezones import all_timezones, is_valid_timezone

MAX_LINKS = 8
MAX_TAGS = 20
TAG_RE = re.compile(r"^[\w][\w .+#/-]{0,39}$", re.UNICODE)


def _split_tags(raw: str, *, label: str) -> list[str]:
    """'PyTorch, diffusion，GAN' -> ['pytorch', 'diffusion', 'gan'] (ASCII or full-width commas)."""
    items: list[str] = []
    for part in re.split(r"[,，、\n]", raw):
        tag = " ".join(part.split()).lower()
        if not tag:
            continue
        if not TAG_RE.match(tag):
            raise ValidationError(
                _(
                    "“%(tag)s” is not a valid %(label)s entry: "
                    "use letters, digits and spaces, up to 40 characters."
                )
                % {"tag": tag[:50], "label": label}
            )
        if tag not in items:
            items.append(tag)
    if len(items) > MAX_TAGS:
        raise ValidationError(_("At most %(n)d entries.") % {"n": MAX_TAGS})
    return items


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=gettext_lazy("Display name"), max_length=80, required=False
    )
    bio = forms.CharField(
        label=gettext_lazy("Bio"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    links = forms.CharField(
        label=gettext_lazy("Links"),
        required=False,
        help_text=gettext_lazy("One URL per line: your site, GitHub, Hugging Face, papers."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    skills = forms.CharField(
        label=gettext_lazy("Skills"),
        required=False,
        help_text=gettext_lazy("Comma-separated, e.g. PyTorch, diffusion, illustration."),
    )
    interests = forms.CharField(
        label=gettext_lazy("Interests"),
        required=False,
        help_text=gettext_lazy("Comma-separated, e.g. text-to-image, music generation."),
    )

    def clean_links(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        if len(lines) > MAX_LINKS:
            raise ValidationError(_("At most %(n)d links.") % {"n": MAX_LINKS})
        validate = URLValidator(schemes=["http", "https"])
        for line in lines:
            try:
                validate(line)
            except ValidationError as exc:
                raise ValidationError(
                    _("“%(url)s” is not a valid http(s) URL.") % {"url": line[:100]}
                ) from exc
        return lines

    def clean_skills(self) -> list[str]:
        return _split_tags(self.cleaned_data["skills"], label=_("skills"))

    def clean_interests(self) -> list[str]:
        return _split_tags(self.cleaned_data["interests"], label=_("interests"))


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=[("", gettext_lazy("Follow my browser")), *settings.LANGUAGES],
        error_messages={"invalid_choice": gettext_lazy("Unknown language code: %(value)s")},
    )
    timezone = forms.CharField(
        label=gettext_lazy("Time zone"),
        required=False,
        max_length=64,
        help_text=gettext_lazy(
            "For example Asia/Shanghai or Europe/Berlin. Empty: use my browser's."
        ),
        widget=forms.TextInput(attrs={"list": "timezone-list", "autocomplete": "off"}),
    )

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        if name and not is_valid_timezone(name):
            raise ValidationError(_("Unknown time zone: %(name)s") % {"name": name[:64]})
        return name

    @staticmethod
    def timezone_choices() -> tuple[str, ...]:
        return all_timezones()


class AvatarForm(forms.Form):
    avatar = forms.FileField(label=gettext_lazy("New avatar"))
