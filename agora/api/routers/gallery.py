"""Works: the feed, one work, uploads (the recipe is read from the image's metadata),
reactions and comments, through the gallery's selectors and services."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from agora.api.auth import require, viewer
from agora.api.errors import ERRORS
from agora.api.schemas import (
    NSFW_LEVEL,
    CollectionDetailOut,
    CollectionIn,
    CollectionOut,
    CommentIn,
    CommentOut,
    NsfwIn,
    ReactionIn,
    ReactionOut,
    WorkCreatedOut,
    WorkOut,
    member_ref,
    one_of,
    page_of,
)
from agora.core.limits import max_length
from agora.gallery import permissions, selectors, services
from agora.gallery.models import Work

router = Router(tags=["gallery"])
WorkPage = page_of(WorkOut)


def work_out(work: Work, user) -> dict:
    recipe = None
    if work.has_recipe and permissions.can_see_recipe(user, work):
        recipe = {
            "prompt": work.prompt,
            "negative_prompt": work.negative_prompt,
            "seed": work.seed,
            "sampler": work.sampler,
            "steps": work.steps,
            "guidance": work.guidance,
            "width": work.recipe_width,
            "height": work.recipe_height,
            "model_name": work.model_name,
            "model_hash": work.model_hash,
        }
    return {
        "id": work.id,
        "title": work.title,
        "description": work.description,
        "author": member_ref(work.author),
        "width": work.width,
        "height": work.height,
        "source": work.source,
        "licence": work.licence,
        "nsfw": work.nsfw,
        "tags": list(work.tags or []),
        "private": work.private,
        "reaction_count": work.reaction_count,
        "image_url": work.image.url,
        "thumbnail_url": work.thumbnail.url,
        "recipe": recipe,
        "created_at": work.created_at,
        "url": work.get_absolute_url(),
    }


def _get(request: HttpRequest, work_id: int) -> Work:
    if not 0 < work_id < 2**31:
        raise Http404("No such work")
    return selectors.get_work_for_viewer(work_id=work_id, viewer=viewer(request))


@router.get("/works", response={200: WorkPage, **ERRORS})
def list_works(
    request: HttpRequest,
    model: str = "",
    tag: str = "",
    author: str = "",
    cursor: str | None = None,
):
    """Newest works first: public ones, and the caller's own private ones."""
    user = viewer(request)
    rows, next_cursor = selectors.work_feed(
        viewer=user, model=model, tag=tag, author=author, cursor=cursor
    )
    return {"items": [work_out(w, user) for w in rows], "next_cursor": next_cursor}


@router.get("/works/{work_id}", response={200: WorkOut, **ERRORS})
def get_work(request: HttpRequest, work_id: int):
    return work_out(_get(request, work_id), viewer(request))


@router.post("/works", response={201: WorkCreatedOut, **ERRORS})
def upload_work(
    request: HttpRequest,
    image: File[UploadedFile],
    title: str = Form(..., min_length=1, max_length=max_length(Work, "title")),
    description: str = Form("", max_length=max_length(Work, "description")),
    licence: Form[one_of(Work.Licence.values)] = Work.Licence.CC_BY,
    nsfw: Form[NSFW_LEVEL] = 0,
    tags: str = Form("", max_length=300),
    private: Form[bool] = False,
    recipe_hidden: Form[bool] = False,
):
    """Upload an image (multipart). Its recipe (prompt, seed, sampler, steps, model) is read from
    the image's own metadata: A1111 `parameters`, ComfyUI graphs or EXIF."""
    user = require(request, "write")
    work, notes = services.upload_work(
        author=user,
        upload=image,
        title=title,
        description=description,
        licence=licence,
        nsfw=nsfw,
        tags=tags,
        private=private,
        recipe_hidden=recipe_hidden,
    )
    work = Work.objects.select_related("author").get(pk=work.pk)
    return Status(201, {**work_out(work, user), "notes": notes})


@router.post("/works/{work_id}/reactions", response={200: ReactionOut, **ERRORS})
def react(request: HttpRequest, work_id: int, payload: ReactionIn):
    """Toggle a reaction (`like`, `wow`, `laugh`)."""
    user = require(request, "write")
    work = _get(request, work_id)
    reacted = services.toggle_reaction(user=user, work=work, kind=payload.kind)
    work.refresh_from_db(fields=["reaction_count"])
    return {"reacted": reacted, "reaction_count": work.reaction_count}


@router.post("/works/{work_id}/comments", response={201: CommentOut, **ERRORS})
def comment(request: HttpRequest, work_id: int, payload: CommentIn):
    user = require(request, "write")
    work = _get(request, work_id)
    created = services.add_comment(user=user, work=work, raw=payload.raw)
    return Status(
        201,
        {
            "id": created.id,
            "author": member_ref(user),
            "html": created.html,
            "created_at": created.created_at,
        },
    )


@router.post("/works/{work_id}/collections", response={200: CollectionOut, **ERRORS})
def collect(request: HttpRequest, work_id: int, payload: CollectionIn):
    """Add the work to one of your collections (made when the title is new)."""
    user = require(request, "write")
    work = _get(request, work_id)
    collection = services.add_to_collection(user=user, work=work, title=payload.title)
    return {
        "id": collection.id,
        "title": collection.title,
        "private": collection.private,
        "work_count": collection.works.count(),
    }


@router.put("/works/{work_id}/nsfw", response={200: WorkOut, **ERRORS})
def set_nsfw(request: HttpRequest, work_id: int, payload: NsfwIn):
    """The author sets how explicit a work is (0 safe, 1 suggestive, 2 mature); staff may
    override it."""
    user = require(request, "write")
    work = _get(request, work_id)
    services.set_nsfw(actor=user, work=work, level=payload.level)
    return work_out(work, user)


@router.get("/collections/{collection_id}", response={200: CollectionDetailOut, **ERRORS})
def get_collection(request: HttpRequest, collection_id: int, cursor: str | None = None):
    """A collection and a page of the works in it you may see (newest first, 24 a page: pass
    `works_next_cursor` back as `cursor` for the next); a private collection only for its
    owner."""
    user = viewer(request)
    found = selectors.get_collection_for_viewer(
        collection_id=collection_id if 0 < collection_id < 2**31 else 0, viewer=user
    )
    works, next_cursor = selectors.collection_works(collection=found, viewer=user, cursor=cursor)
    return {
        "id": found.id,
        "title": found.title,
        "owner": member_ref(found.owner),
        "private": found.private,
        "works": [work_out(w, user) for w in works],
        "works_next_cursor": next_cursor,
    }
