"""Writes of the gallery: uploads with their recipe read out, reactions, comments, collections."""

from __future__ import annotations

import io
import logging
import secrets
from datetime import timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageFilter
from PIL.PngImagePlugin import PngInfo

from agora.accounts.forms import _split_tags
from agora.accounts.models import User
from agora.core import trending
from agora.core.images import encode_webp, open_checked_image
from agora.core.limits import check_lengths, length_errors
from agora.core.markdown import render
from agora.following.signals import member_shared
from agora.gallery import metadata, permissions
from agora.gallery.models import Collection, Comment, Reaction, ViewerSettings, Work

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
THUMB_SIDE = 512
SMALL_THUMB_SIDE = 256
TINY_SIDE = 128  # images this small are scaled up by whole pixels, never blurred
IPTC_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def _store(image: Image.Image, side: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return encode_webp(copy, quality=90), copy.width, copy.height


def _thumbnail(image: Image.Image, side: int, *, points: bool = False) -> bytes:
    """A WebP at most `side` wide and high. A tiny image (an 8x8 digit) is enlarged by a whole
    factor with nearest-neighbour so its pixels stay crisp wherever it is shown (previews on
    other sites included); a 2-D point cloud gets its one-pixel dots thickened so they survive
    being shown small."""
    copy = image.copy()
    if max(copy.size) <= TINY_SIDE:
        factor = max(1, side // max(copy.size))
        copy = copy.resize((copy.width * factor, copy.height * factor), Image.Resampling.NEAREST)
    if points:
        # dark dots on white: a minimum filter grows each dot to a disc readable at 200 px
        copy = copy.filter(ImageFilter.MinFilter(5 if max(copy.size) >= 256 else 3))
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return encode_webp(copy, quality=90)


def apply_recipe(work: Work, recipe: metadata.Recipe) -> None:
    work.prompt, work.negative_prompt = recipe.prompt[:10_000], recipe.negative_prompt[:10_000]
    work.seed, work.sampler, work.steps, work.guidance = (
        recipe.seed,
        recipe.sampler,
        recipe.steps,
        recipe.guidance,
    )
    work.recipe_width, work.recipe_height = recipe.width, recipe.height
    work.model_name, work.model_hash = recipe.model_name, recipe.model_hash
    work.metadata_source, work.raw_metadata = recipe.source, recipe.raw


def recipe_of(work: Work) -> metadata.Recipe:
    return metadata.Recipe(
        prompt=work.prompt,
        negative_prompt=work.negative_prompt,
        seed=work.seed,
        sampler=work.sampler,
        steps=work.steps,
        guidance=work.guidance,
        width=work.recipe_width or work.width,
        height=work.recipe_height or work.height,
        model_name=work.model_name,
        model_hash=work.model_hash,
        source=work.metadata_source,
    )


def upload_work(
    *,
    author: User,
    upload,
    title: str,
    description: str = "",
    licence: str = Work.Licence.CC_BY,
    nsfw: int = 0,
    tags: str = "",
    private: bool = False,
    recipe_hidden: bool = False,
    remix_of: Work | None = None,
    points: bool = False,
) -> tuple[Work, list[str]]:
    """Store an image re-encoded from its pixels (GPS and camera data gone) with the recipe read
    from its metadata. Returns the work and notes about metadata that was ignored."""
    if not permissions.can_take_part(author):
        raise PermissionDenied(_("Log in to share works."))
    errors = length_errors(Work, title=title.strip(), description=description.strip())
    if len(title.strip()) < 2:
        errors["title"] = _("Give the work a title.")
    if licence not in Work.Licence.values:
        errors["licence"] = _("Choose a licence.")
    if nsfw not in Work.NSFW.values:
        errors["nsfw"] = _("Choose a content level.")
    try:
        tag_list = _split_tags(tags, label=_("tags"))
    except ValidationError as exc:
        errors["tags"] = exc.messages[0]
        tag_list = []
    image = open_checked_image(
        upload, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS
    )  # raises on bad files
    if errors:
        raise ValidationError(errors)
    upload.seek(0)
    try:
        with Image.open(upload) as original:
            recipe = metadata.read_recipe(original)
    except (OSError, ValueError, SyntaxError) as exc:  # e.g. a text chunk over Pillow's limit
        recipe = metadata.Recipe(notes=[f"metadata unreadable ({type(exc).__name__}), ignored"])
    full, width, height = _store(image, MAX_SIDE)
    thumb = _thumbnail(image, THUMB_SIDE, points=points)
    small = _thumbnail(image, SMALL_THUMB_SIDE, points=points)
    work = Work(
        author=author,
        title=title.strip(),
        description=description.strip(),
        width=width,
        height=height,
        licence=licence,
        nsfw=nsfw,
        tags=tag_list,
        private=private,
        recipe_hidden=recipe_hidden,
        remix_of=remix_of
        if remix_of is not None and permissions.can_see_work(author, remix_of)
        else None,
    )
    apply_recipe(work, recipe)
    name = secrets.token_hex(10)
    work.image.save(f"{name}.webp", ContentFile(full), save=False)
    work.thumbnail.save(f"{name}-thumb.webp", ContentFile(thumb), save=False)
    work.thumbnail_small.save(f"{name}-256.webp", ContentFile(small), save=False)
    work.trending_score = trending.score(0, timezone.now())
    try:
        work.save()
    except Exception:
        for field in (work.image, work.thumbnail, work.thumbnail_small):
            field.storage.delete(field.name)  # nothing half-written
        raise
    # the score counts from the stored creation time
    work.trending_score = trending.score(0, work.created_at)
    Work.objects.filter(pk=work.pk).update(trending_score=work.trending_score)
    if not work.private:
        transaction.on_commit(
            lambda: member_shared.send(sender=Work, kind="work", object_id=work.pk)
        )
    return work, recipe.notes


def set_nsfw(*, actor: User, work: Work, level: int) -> Work:
    """The author, or a moderator, sets how explicit a work is."""
    if not permissions.can_edit_work(actor, work):
        raise PermissionDenied(_("Only the author or staff can change this."))
    if level not in Work.NSFW.values:
        raise ValidationError(_("Choose a content level."))
    Work.objects.filter(pk=work.pk).update(nsfw=level)
    work.nsfw = level
    return work


def toggle_reaction(*, user: User, work: Work, kind: str) -> bool:
    if not permissions.can_take_part(user):
        raise PermissionDenied(_("Log in to react."))
    if kind not in Reaction.Kind.values:
        raise ValidationError(_("Unknown reaction."))
    with transaction.atomic():
        deleted, _details = Reaction.objects.filter(work=work, user=user, kind=kind).delete()
        if deleted:
            Work.objects.filter(pk=work.pk).update(reaction_count=F("reaction_count") - 1)
            _rescore(work.pk)
            return False
    try:
        with transaction.atomic():
            Reaction.objects.create(work=work, user=user, kind=kind)
            Work.objects.filter(pk=work.pk).update(reaction_count=F("reaction_count") + 1)
            _rescore(work.pk)
    except IntegrityError:
        pass
    return True


def _rescore(work_id: int) -> None:
    """The trending score follows the reaction count (agora.core.trending)."""
    row = Work.objects.select_for_update().filter(pk=work_id).values("reaction_count", "created_at")
    found = row.first()
    if found is not None:
        Work.objects.filter(pk=work_id).update(
            trending_score=trending.score(found["reaction_count"], found["created_at"])
        )


def add_comment(*, user: User, work: Work, raw: str) -> Comment:
    if not permissions.can_take_part(user):
        raise PermissionDenied(_("Log in to comment."))
    raw = raw.strip()
    if not raw:
        raise ValidationError(_("Write something first."))
    check_lengths(Comment, raw=raw)
    return Comment.objects.create(work=work, author=user, raw=raw, html=render(raw))


def add_to_collection(*, user: User, work: Work, title: str) -> Collection:
    if not permissions.can_take_part(user):
        raise PermissionDenied(_("Log in to collect works."))
    title = title.strip()
    if not title:
        raise ValidationError(_("Name the collection."))
    check_lengths(Collection, title=title)
    collection, _created = Collection.objects.get_or_create(owner=user, title=title)
    collection.works.add(work)
    return collection


def set_viewer_level(*, user: User, level: int) -> None:
    if level not in Work.NSFW.values:
        raise ValidationError(_("Choose a content level."))
    ViewerSettings.objects.update_or_create(user=user, defaults={"max_nsfw": level})


def download_png(work: Work) -> bytes:
    """The image as PNG with its recipe in a `parameters` text chunk (A1111-compatible) and the
    IPTC digital source type trainedAlgorithmicMedia in XMP."""
    with Image.open(work.image) as stored:
        stored.load()
        image = stored.convert("RGBA" if stored.mode in {"RGBA", "LA"} else "RGB")
    info = PngInfo()
    if work.has_recipe and not work.recipe_hidden:
        info.add_text("parameters", metadata.a1111_line(recipe_of(work)))
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'Iptc4xmpExt:DigitalSourceType="{IPTC_AI}"/></rdf:RDF></x:xmpmeta>'
    )
    info.add_itxt("XML:com.adobe.xmp", xmp)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def recipe_card_markdown(work: Work, *, url: str) -> str:
    """The Markdown a forum post gets when a work is shared: the image and its recipe card."""
    lines = [f"![{work.title}]({work.image.url})", "", f"**[{work.title}]({url})**", ""]
    if work.has_recipe and not work.recipe_hidden:
        rows = [
            (_("Prompt"), work.prompt),
            (_("Negative prompt"), work.negative_prompt),
            (_("Model"), work.model_name),
            (_("Sampler"), work.sampler),
            (_("Steps"), work.steps),
            (_("Guidance"), work.guidance),
            (_("Seed"), work.seed),
        ]
        lines += [f"| {_('Recipe')} | |", "|---|---|"]
        for label, value in rows:
            if value not in ("", None):
                cell = str(value).replace("|", "\\|").replace("\n", " ")
                lines.append(f"| {label} | {cell} |")
    return "\n".join(lines)


def withdraw_reactions(*, user: User) -> None:
    """Before a member is deleted: their reactions leave the works' counts."""
    from agora.core.counters import withdraw_marks

    reactions = Reaction.objects.filter(user=user)
    withdraw_marks(reactions, target="work", counted=Work, field="reaction_count")
    reactions.delete()


# --- a chosen file kept while the member corrects the rest of the upload form -------------------

KEPT_DIR = "tmp/kept-uploads"
KEPT_MAX_AGE = timedelta(hours=1)
_KEPT_SALT = "agora.gallery.kept-upload"


def keep_upload(*, user: User, upload) -> str | None:
    """Store a chosen image that passed its checks under media tmp/ and return a signed token
    only its uploader can use for an hour (browsers drop a file input's choice when a form
    comes back with an error); None for a file that would be refused anyway."""
    try:
        open_checked_image(upload, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)
    except ValidationError:
        return None
    sweep_kept_uploads()
    upload.seek(0)
    path = default_storage.save(f"{KEPT_DIR}/{secrets.token_hex(16)}", upload)
    name = (upload.name or "image").rsplit("/", 1)[-1][-120:]
    return signing.dumps({"u": user.pk, "p": path, "n": name}, salt=_KEPT_SALT, compress=True)


def kept_upload(*, user: User, token: str) -> tuple[str, str] | None:
    """(file name as chosen, storage path) of the member's own kept file, or None for a forged,
    stale, someone else's or already used token."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=_KEPT_SALT, max_age=KEPT_MAX_AGE)
        owner, path, name = int(data["u"]), str(data["p"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if owner != user.pk or not path.startswith(f"{KEPT_DIR}/") or ".." in path:
        return None
    if not default_storage.exists(path):
        return None
    return name, path


def open_kept(name: str, path: str) -> File:
    return File(default_storage.open(path, "rb"), name=name)


def discard_kept(path: str) -> None:
    if path.startswith(f"{KEPT_DIR}/"):
        default_storage.delete(path)


def sweep_kept_uploads() -> int:
    """Delete kept files older than their tokens (the member never came back); returns how many."""
    try:
        _dirs, files = default_storage.listdir(KEPT_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    cutoff = timezone.now() - KEPT_MAX_AGE
    removed = 0
    for name in files:
        path = f"{KEPT_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                removed += 1
        except (FileNotFoundError, NotImplementedError) as exc:
            logger.warning("kept upload %s not swept: %s", path, exc)
    return removed
