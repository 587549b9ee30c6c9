"""Data sets, training runs, models and generations, through the lab's permissions and
services."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from agora.api.auth import require, viewer
from agora.api.errors import ERRORS
from agora.api.schemas import (
    ComposerOut,
    DatasetOut,
    GenerationIn,
    GenerationOut,
    ModelDetailOut,
    ModelOut,
    PublishIn,
    RunIn,
    RunOut,
    ShareIn,
    ShareRunIn,
    StarOut,
    TextGenerationIn,
    WorkOut,
    member_ref,
    page_of,
)
from agora.core.limits import max_length
from agora.core.params import parse_id
from agora.lab import permissions, selectors, zoo_cards
from agora.lab.models import Generation, LabDataset, LabModel, TrainingRun
from agora.lab.services import datasets as dataset_services
from agora.lab.services import generations as generation_services
from agora.lab.services import publishing, sharing
from agora.lab.services import runs as run_services
from agora.lab.services import texts as text_services

router = Router(tags=["lab"])
RunPage = page_of(RunOut)
GenerationPage = page_of(GenerationOut)
ModelPage = page_of(ModelOut)
PAGE = 30


def _before(cursor: str | None) -> int | None:
    return parse_id(cursor)


def _page(queryset, cursor: str | None, convert) -> dict:
    before = _before(cursor)
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset.order_by("-id")[: PAGE + 1])
    next_cursor = str(rows[PAGE - 1].id) if len(rows) > PAGE else None
    return {"items": [convert(r) for r in rows[:PAGE]], "next_cursor": next_cursor}


def dataset_out(dataset: LabDataset) -> dict:
    return {
        "id": dataset.id,
        "key": dataset.key,
        "name": dataset.name,
        "status": dataset.status,
        "count": dataset.count,
        "classes": list(dataset.classes or []),
        "size_bytes": dataset.size_bytes,
        "error": dataset.error,
        "created_at": dataset.created_at,
    }


def model_ref(user, model: LabModel | None) -> dict | None:
    """A base model's id and name, or None when there is none or the caller may not see it
    (lab.permissions)."""
    if model is None or not permissions.can_see_model(user, model):
        return None
    return {"id": model.id, "name": model.name, "url": model.get_absolute_url()}


def run_out(run: TrainingRun, user=None) -> dict:
    return {
        "id": run.id,
        "title": run.title,
        "zoo_name": run.zoo_name,
        "display_title": run.display_title,
        "owner": member_ref(run.owner),
        "family": run.family,
        "dataset": run.dataset,
        "preset": run.preset,
        "steps": run.steps,
        "seed": run.seed,
        "private": run.private,
        "status": run.status,
        "step": run.step,
        "total_steps": run.total_steps,
        "metrics": dict(run.metrics or {}),
        "error": run.error,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "url": run.get_absolute_url(),
        "base": model_ref(user, run.base_model) if run.base_model_id else None,
        "base_sha256": run.base_sha256,
        "freeze_early": run.freeze_early,
        "freeze_blocks": run.freeze_blocks,
        "blocks": run.blocks if run.base_sha256 else 0,
        "lr": run.learning_rate,
        "lr_chosen": run.lr is not None,
    }


def model_out(model: LabModel, user=None) -> dict:
    return {
        "id": model.id,
        "name": model.name,
        "official": model.official,
        "zoo_name": model.zoo_name,
        "display_name": model.display_name,
        "superseded_by": model.superseded_by_id,
        "owner": member_ref(model.owner),
        "run_id": model.run_id,
        "family": model.run.family,
        "licence": model.licence,
        "private": model.private,
        "card_html": zoo_cards.card_html(model),
        "checkpoint_sha256": model.checkpoint_sha256,
        "star_count": model.star_count,
        "created_at": model.created_at,
        "url": model.get_absolute_url(),
        "base": model_ref(user, model.base) if model.base_id else None,
        "base_sha256": model.run.base_sha256,
    }


def generation_out(generation: Generation) -> dict:
    return {
        "id": generation.id,
        "model_id": generation.model_id,
        "owner": member_ref(generation.owner),
        "status": generation.status,
        "kind": "text" if generation.is_text else "image",
        "recipe": dict(generation.recipe or {}),
        "recipe_hash": generation.recipe_hash,
        "texts": [str(t) for t in generation.texts or []],
        "images": [
            {"name": str(i.get("name", "")), "url": str(i.get("url", ""))}
            for i in generation.images or []
        ],
        "images_sha256": generation.images_sha256,
        "reproduces": generation.reproduces_id,
        "verified": generation.verified,
        "error": generation.error,
        "created_at": generation.created_at,
        "url": generation.get_absolute_url(),
    }


@router.get("/datasets", response={200: list[DatasetOut], **ERRORS})
def list_datasets(request: HttpRequest):
    """The caller's uploaded data sets (members only; they are never shown to others)."""
    user = require(request, "read")
    rows = selectors.own_datasets(user)[:100]
    return [dataset_out(d) for d in rows]


@router.post("/datasets", response={201: DatasetOut, **ERRORS})
def upload_dataset(
    request: HttpRequest,
    archive: File[UploadedFile],
    name: str = Form(..., min_length=1, max_length=max_length(LabDataset, "name")),
):
    """Upload a zip of images, or a UTF-8 `.txt` / `.jsonl` text data set (multipart); a zip is
    checked in the background (status `checking`, then `ready` or `refused` with the reason in
    `error`), a text file at once."""
    user = require(request, "write")
    dataset = dataset_services.upload_dataset(owner=user, name=name, archive=archive)
    return Status(201, dataset_out(dataset))


@router.get("/runs", response={200: RunPage, **ERRORS})
def list_runs(request: HttpRequest, mine: bool = False, cursor: str | None = None):
    """Public runs and the caller's own, newest first; `?mine=true` for only the caller's."""
    user = viewer(request)
    queryset = selectors.visible_runs(user)
    if mine:
        queryset = queryset.filter(owner=user.pk or 0)
    return _page(queryset.select_related("base_model"), cursor, lambda r: run_out(r, user))


@router.get("/runs/{run_id}", response={200: RunOut, **ERRORS})
def get_run(request: HttpRequest, run_id: int):
    user = viewer(request)
    return run_out(selectors.get_run_for_user(user, run_id), user)


@router.post("/runs", response={201: RunOut, **ERRORS})
def create_run(request: HttpRequest, payload: RunIn):
    """Queue a training run; the settings are checked before anything is queued. With
    `base_model`, a fine-tune of a published model the caller may see (404 otherwise)."""
    user = require(request, "write")
    data = payload.dict()
    base_id = data.pop("base_model")
    base = selectors.get_model_for_user(user, base_id) if base_id else None
    run = run_services.create_run(owner=user, base_model=base, **data)
    return Status(201, _run(run, user))


def _run(run: TrainingRun, user) -> dict:
    return run_out(TrainingRun.objects.select_related("owner", "base_model").get(pk=run.pk), user)


@router.post("/runs/{run_id}/cancel", response={200: RunOut, **ERRORS})
def cancel_run(request: HttpRequest, run_id: int):
    user = require(request, "write")
    run = selectors.get_run_for_user(viewer(request), run_id)
    run_services.request_cancel(user=user, run=run)
    return _run(run, user)


@router.post("/runs/{run_id}/resume", response={200: RunOut, **ERRORS})
def resume_run(request: HttpRequest, run_id: int):
    """Queue a failed or cancelled run again; it continues from its last checkpoint."""
    user = require(request, "write")
    run = run_services.resume_run(
        user=user, run=selectors.get_run_for_user(viewer(request), run_id)
    )
    return _run(run, user)


@router.post("/runs/{run_id}/share", response={200: ComposerOut, **ERRORS})
def share_run(request: HttpRequest, run_id: int, payload: ShareRunIn):
    """Put a completed public run's card (latest samples, settings) into your composer draft: a
    new topic, or a reply to the topic named in `topic`. Open `url` to post it."""
    user = require(request, "write")
    run = selectors.get_run_for_user(viewer(request), run_id)
    return {
        "url": sharing.share_run_to_forum(user=user, run=run, topic_reference=payload.topic[:500])
    }


@router.post("/runs/{run_id}/publish", response={201: ModelOut, **ERRORS})
def publish_run(request: HttpRequest, run_id: int, payload: PublishIn):
    """Publish a completed run as a model others can sample."""
    user = require(request, "write")
    model = publishing.publish_model(
        user=user, run=selectors.get_run_for_user(viewer(request), run_id), **payload.dict()
    )
    model = LabModel.objects.select_related("owner", "run", "base").get(pk=model.pk)
    return Status(201, model_out(model, user))


@router.get("/models", response={200: ModelPage, **ERRORS})
def list_models(request: HttpRequest, cursor: str | None = None):
    """Published models: public ones and the caller's own, newest first."""
    user = viewer(request)
    models = selectors.current_models(user).select_related("base")
    return _page(models, cursor, lambda m: model_out(m, user))


@router.get("/models/{model_id}", response={200: ModelDetailOut, **ERRORS})
def get_model(request: HttpRequest, model_id: int):
    """A published model with its base (`base`, null for a base the caller may not see) and
    the fine-tunes made from it that the caller may see (the model page's tree)."""
    user = viewer(request)
    model = selectors.get_model_for_user(user, model_id)
    tree = selectors.lineage(user, model)
    return {
        **model_out(model, user),
        "fine_tunes": [model_ref(user, m) for m in tree["fine_tunes"]],
        "fine_tune_count": tree["fine_tune_count"],
    }


@router.post("/models/{model_id}/star", response={200: StarOut, **ERRORS})
def star_model(request: HttpRequest, model_id: int):
    """Toggle your star."""
    user = require(request, "write")
    model = selectors.get_model_for_user(viewer(request), model_id)
    publishing.toggle_star(user=user, model=model)
    model.refresh_from_db(fields=["star_count"])
    starred = selectors.has_starred(user, model)
    return {"starred": starred, "star_count": model.star_count}


@router.get("/models/{model_id}/generations", response={200: GenerationPage, **ERRORS})
def list_generations(request: HttpRequest, model_id: int, cursor: str | None = None):
    """A model's generations, newest first (reproductions are listed on their original)."""
    model = selectors.get_model_for_user(viewer(request), model_id)
    queryset = selectors.model_generations(model).select_related("owner", "reproduces")
    return _page(queryset, cursor, generation_out)


@router.post("/models/{model_id}/generations", response={201: GenerationOut, **ERRORS})
def start_generation(request: HttpRequest, model_id: int, payload: GenerationIn):
    """Queue a generation; poll `GET /generations/{id}` until its status is done or failed."""
    user = require(request, "write")
    model = selectors.get_model_for_user(viewer(request), model_id)
    generation = generation_services.request_generation(user=user, model=model, **payload.dict())
    return Status(
        201,
        generation_out(
            Generation.objects.select_related("owner", "reproduces").get(pk=generation.pk)
        ),
    )


@router.post("/models/{model_id}/text-generations", response={201: GenerationOut, **ERRORS})
def start_text_generation(request: HttpRequest, model_id: int, payload: TextGenerationIn):
    """Queue texts from a text (gpt) model: prompt, poem form and acrostic, temperature, top-k,
    top-p, seed, length, count — checked against the model as the site's form is (unknown
    characters, a prompt longer than the context, a form it was not trained on, an acrostic
    longer than the poem: 400 with the field). Poll `GET /generations/{id}` for `texts`."""
    user = require(request, "write")
    model = selectors.get_model_for_user(viewer(request), model_id)
    generation = text_services.request_text_generation(user=user, model=model, **payload.dict())
    return Status(
        201,
        generation_out(
            Generation.objects.select_related("owner", "reproduces").get(pk=generation.pk)
        ),
    )


@router.get("/text-generations", response={200: GenerationPage, **ERRORS})
def list_text_generations(
    request: HttpRequest, member: str = "", mine: bool = False, cursor: str | None = None
):
    """Text generations with their recipes, newest first: those of the models the caller may
    see (public models and their own); `?member=USERNAME` for one member's, `?mine=true` for
    the caller's own."""
    user = viewer(request)
    queryset = selectors.visible_text_generations(user)
    if mine:
        queryset = queryset.filter(owner=user.pk or 0)
    if member:
        queryset = queryset.filter(owner__username=member[:150])
    return _page(queryset, cursor, generation_out)


@router.get("/generations/{generation_id}", response={200: GenerationOut, **ERRORS})
def get_generation(request: HttpRequest, generation_id: int):
    return generation_out(selectors.get_generation_for_user(viewer(request), generation_id))


@router.post("/generations/{generation_id}/reproduce", response={201: GenerationOut, **ERRORS})
def reproduce(request: HttpRequest, generation_id: int):
    """Run the same recipe again; once done, `verified` says whether the pixels are identical."""
    user = require(request, "write")
    copy = generation_services.reproduce(
        user=user, generation=selectors.get_generation_for_user(viewer(request), generation_id)
    )
    return Status(
        201,
        generation_out(Generation.objects.select_related("owner", "reproduces").get(pk=copy.pk)),
    )


@router.post("/generations/{generation_id}/share", response={201: WorkOut, **ERRORS})
def share(request: HttpRequest, generation_id: int, payload: ShareIn):
    """Share one of your generated images to the gallery, with its full recipe."""
    from agora.api.routers.gallery import work_out
    from agora.gallery.models import Work

    user = require(request, "write")
    generation = selectors.get_generation_for_user(viewer(request), generation_id)
    work = sharing.share_to_gallery(
        user=user, generation=generation, index=payload.index, title=payload.title[:200]
    )
    return Status(201, work_out(Work.objects.select_related("author").get(pk=work.pk), user))
