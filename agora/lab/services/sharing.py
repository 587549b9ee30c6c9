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
        if "url" in latest:
            alt = _("Samples at step %(step)d") % {"step": latest["step"]}
            lines += [f"![{alt}]({latest['url']})", ""]
        else:  # a text model's samples
            lines += [_fenced("\n".join(latest.get("texts", [])[:4])), ""]
    lines += [
        f"**[{cell(run.display_title)}]({url})**",
        "",
        f"| {_('Training run')} | |",
        "|---|---|",
    ]
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


def _fenced(text: str) -> str:
    """A code block that keeps the text's lines; its fence is longer than any run of backticks
    in the text, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def text_card_markdown(generation: Generation) -> str:
    """What a forum post gets when a text generation is shared: the texts as written (each in a
    block that keeps its lines), then the recipe card, linking back to the generation."""

    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    r = generation.recipe
    model = generation.model
    lines = []
    for text in generation.texts:
        lines += [_fenced(text), ""]
    lines += [
        f"**[{cell(model.name)}]({generation.get_absolute_url()})**",
        "",
        f"| {_('Recipe')} | |",
        "|---|---|",
    ]
    rows = [
        (_("Model"), model.name),
        (_("Prompt"), r.get("prompt") or "—"),
        (_("Poem form"), r.get("form") or _("Free text")),
        (_("Acrostic"), r.get("acrostic") or "—"),
        (_("Temperature"), r["temperature"]),
        (_("Top-k"), r["top_k"]),
        (_("Top-p"), r["top_p"]),
        (_("Seed"), r["seed"]),
        (_("Length"), r["length"]),
        (_("Recipe hash"), f"`{generation.recipe_hash}`"),
        (_("Texts hash"), f"`{generation.images_sha256}`"),
    ]
    lines += [f"| {label} | {cell(value)} |" for label, value in rows]
    return "\n".join(lines)


def _to_composer(*, user: User, title: str, raw: str, topic_reference: str, category: str) -> str:
    """Add a card to the member's composer draft (after what they had written): a new topic, or
    a reply to the topic they name (its number or its address). Returns where the composer is."""
    from agora.forum import permissions as forum_permissions
    from agora.forum.models import Topic
    from agora.forum.services import add_to_draft, draft_key_for

    if not topic_reference.strip():
        add_to_draft(user=user, key=draft_key_for(None), title=title, raw=raw)
        return f"/new-topic/?category={category}"
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


def share_run_to_forum(*, user: User, run: TrainingRun, topic_reference: str = "") -> str:
    """The run's card to the member's composer: a new topic or a reply (see _to_composer)."""
    if not permissions.can_share_run(user, run):
        if run.private:
            raise PermissionDenied(_("Make the run public before sharing it."))
        if run.status != TrainingRun.Status.COMPLETED:
            raise ValidationError(_("Only a completed run can be shared."))
        raise PermissionDenied(_("Log in to share runs."))
    return _to_composer(
        user=user,
        title=run.display_title,
        raw=run_card_markdown(run),
        topic_reference=topic_reference,
        category="image-generation",
    )


def share_text_to_forum(*, user: User, generation: Generation, topic_reference: str = "") -> str:
    """A text generation and its recipe card to the member's composer (see _to_composer)."""
    if not permissions.can_share_generation(user, generation):
        raise PermissionDenied(_("Only the owner can share these texts."))
    if generation.model.private:
        raise PermissionDenied(_("Make the model public before sharing its texts."))
    if not generation.is_text or generation.status != Generation.Status.DONE:
        raise ValidationError(_("Only finished texts can be shared."))
    title = generation.recipe.get("acrostic") or generation.recipe.get("prompt") or ""
    return _to_composer(
        user=user,
        title=f"{generation.model.name}: {title}" if title else generation.model.name,
        raw=text_card_markdown(generation),
        topic_reference=topic_reference,
        category="text-generation",
    )


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
