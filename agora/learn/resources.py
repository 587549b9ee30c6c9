"""Writes of the resource library."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from agora.accounts.forms import _split_tags
from agora.accounts.models import User
from agora.core.limits import length_errors
from agora.core.markdown import render
from agora.learn import permissions
from agora.learn.models import Resource, ResourceUse

# New-style ids (2104.00001, with an optional version) and old-style ones (hep-th/9901001).
ARXIV_RE = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


def normalise_arxiv_id(raw: str) -> str:
    value = raw.strip()
    for prefix in ("https://arxiv.org/abs/", "http://arxiv.org/abs/", "arXiv:", "arxiv:"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    if not ARXIV_RE.match(value):
        raise ValidationError(
            {"arxiv_id": _("“%(id)s” is not an arXiv id like 2006.11239.") % {"id": raw[:40]}}
        )
    return value


@transaction.atomic
def add_resource(
    *,
    user: User,
    kind: str,
    title: str,
    url: str,
    description: str = "",
    licence: str = "",
    programming_language: str = "",
    tags: str = "",
    arxiv_id: str = "",
    paper_authors: str = "",
    abstract: str = "",
) -> Resource:
    if not permissions.can_add_resource(user):
        raise PermissionDenied(_("Log in to add resources."))
    errors = length_errors(
        Resource,
        title=title.strip(),
        description=description,
        licence=licence.strip(),
        programming_language=programming_language.strip(),
        paper_authors=paper_authors.strip(),
        abstract=abstract.strip(),
    )
    if kind not in Resource.Kind.values:
        errors["kind"] = _("Choose project, data set or paper.")
    if len(title.strip()) < 2:
        errors["title"] = _("Give it a title.")
    if arxiv_id:
        try:
            arxiv_id = normalise_arxiv_id(arxiv_id)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
        else:
            if Resource.objects.filter(arxiv_id=arxiv_id).exists():
                errors["arxiv_id"] = _("This paper is already in the library.")
            if not url:
                url = f"https://arxiv.org/abs/{arxiv_id}"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = _("Enter a valid http(s) link.")
    errors |= {k: v for k, v in length_errors(Resource, url=url).items() if k not in errors}
    try:
        tag_list = _split_tags(tags, label=_("tags"))
    except ValidationError as exc:
        errors["tags"] = exc.messages[0]
        tag_list = []
    if errors:
        raise ValidationError(errors)
    resource = Resource.objects.create(
        kind=kind,
        title=title.strip(),
        url=url,
        description=description,
        description_html=render(description) if description.strip() else "",
        licence=licence.strip(),
        programming_language=programming_language.strip(),
        tags=tag_list,
        arxiv_id=arxiv_id,
        paper_authors=paper_authors.strip(),
        abstract=abstract.strip(),
        added_by=user,
    )
    if kind == Resource.Kind.PROJECT:
        resource.maintainers.add(user)
    from agora.forum.services import open_discussion

    summary = resource.abstract or description or resource.title
    raw = f"{summary}\n\n[{resource.url}]({resource.get_absolute_url()})"
    slug = "open-source" if kind == Resource.Kind.PROJECT else "tutorials"
    resource.topic = open_discussion(author=user, category_slug=slug, title=resource.title, raw=raw)
    resource.save(update_fields=["topic"])
    return resource


def mark_used(*, user: User, resource: Resource, used: bool) -> bool:
    if not permissions.can_add_resource(user):
        raise PermissionDenied(_("Log in first."))
    if used:
        try:
            with transaction.atomic():
                ResourceUse.objects.create(resource=resource, user=user)
                Resource.objects.filter(pk=resource.pk).update(use_count=F("use_count") + 1)
        except IntegrityError:
            pass
        return True
    with transaction.atomic():
        deleted, _details = ResourceUse.objects.filter(resource=resource, user=user).delete()
        if deleted:
            Resource.objects.filter(pk=resource.pk).update(use_count=F("use_count") - 1)
    return False
