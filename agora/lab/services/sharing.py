"""Sharing lab work: a finished run's card to the forum, a generated image to the gallery."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.lab import permissions
from agora.lab.models import Generation, TrainingRun
from agora.lab.selectors import dataset_label
from genlab.data import TOYS

TOPIC_REFERENCE = re.compile(r"^\s*(?:\d+|.*/t/[^/]+/(\d+)(?:/\d+)?/?(?:[?#].*)?)\s*$")


def run_card_markdown(run: TrainingRun) -> str:
    """What a forum post gets when a run is shared: its latest sample grid, then a card with the
    settings and final metrics, linking back to the run."""

    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    url = run.get_absolute_url()
    lines = []
    if run.samples:
        latest = max(run.samples, key=lambda s: s["step"])
        alt = _("Samples at step %(step)d") % {"step": latest["step"]}
        lines += [f"![{alt}]({latest['url']})", ""]
    lines += [f"**[{cell(run.title)}]({url})**", "", f"| {_('Training run')} | |", "|---|---|"]
    rows = [
        (_("Family"), run.get_family_display()),
        (_("Data set"), run.dataset),
        (_("Preset"), run.preset),
        (_("Steps"), run.step),
        (_("Seed"), run.seed),
    ]
    rows += [(name, f"{value:.4g}") for name, value in sorted(run.metrics.items())]
    lines += [f"| {label} | {cell(value)} |" for label, value in rows]
    return "\n".join(lines)


def share_run_to_forum(*, user: User, run: TrainingRun, topic_reference: str = "") -> str:
    """Add the run's card to the member's composer draft (after what they had written): a new
    topic, or a reply to the topic they name (its number or its address). Returns where the
    composer is."""
    from agora.forum import permissions as forum_permissions
    from agora.forum.models import Topic
    from agora.forum.services import add_to_draft, draft_key_for

    if not permissions.can_share_run(user, run):
        if run.private:
            raise PermissionDenied(_("Make the run public before sharing it."))
        if run.status != TrainingRun.Status.COMPLETED:
            raise ValidationError(_("Only a completed run can be shared."))
        raise PermissionDenied(_("Log in to share runs."))
    raw = run_card_markdown(run)
    if not topic_reference.strip():
        add_to_draft(user=user, key=draft_key_for(None), title=run.title, raw=raw)
        return "/new-topic/?category=image-generation"
    # Stripped first: the pattern's leading \s* and .* would share a long run of spaces.
    match = TOPIC_REFERENCE.match(topic_reference.strip())
    if match is None:
        raise ValidationError(_("Give the topic's number or paste its address."))
    topic_id = int(match.group(1) or topic_reference.strip())
    topic = Topic.objects.filter(pk=topic_id).first()
    access = forum_permissions.category_access_for(user)
    if topic is None or not forum_permissions.can_see_topic(user, topic, access):
        raise ValidationError(_("There is no such topic."))
    if not forum_permissions.can_reply(user, topic, access):
        raise ValidationError(_("You cannot reply to this topic."))
    add_to_draft(user=user, key=draft_key_for(topic), raw=raw)
    return topic.get_absolute_url() + "#reply"


def share_to_gallery(*, user: User, generation: Generation, index: int, title: str):
    """A lab image becomes a gallery work carrying its full recipe."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agora.gallery.services import upload_work

    if not permissions.can_share_generation(user, generation):
        raise PermissionDenied(_("Only the owner can share these images."))
    if generation.status != Generation.Status.DONE or not 0 <= index < len(generation.images):
        raise ValidationError(_("Choose one of the generated images."))
    path = (
        Path(settings.MEDIA_ROOT)
        / "lab"
        / "generations"
        / str(generation.id)
        / generation.images[index]["name"]
    )
    work, _notes = upload_work(
        author=user,
        upload=SimpleUploadedFile(path.name, path.read_bytes()),
        title=title or generation.model.name,
        private=generation.model.private,
        points=generation.model.run.dataset in TOYS,
    )
    type(work).objects.filter(pk=work.pk).update(
        source="lab", dataset=dataset_label(generation.model.run.dataset)
    )
    work.refresh_from_db()
    return work
