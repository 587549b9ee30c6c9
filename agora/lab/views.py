from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agora.core.forms import add_validation_errors
from agora.core.paging import keyset_page
from agora.core.params import parse_id, parse_ids
from agora.lab import lane, permissions, selectors, zoo_cards
from agora.lab.dataset_summary import builtin_summary
from agora.lab.forms import DatasetForm, GenerateForm, PublishForm, RunForm, TextGenerateForm
from agora.lab.models import (
    BUILTIN_DATASETS,
    POINT_DATASETS,
    TEXT_DATASETS,
    TEXT_FAMILIES,
    Generation,
    LabModel,
    TrainingRun,
)
from agora.lab.services import datasets as dataset_services
from agora.lab.services import generations as generation_services
from agora.lab.services import publishing, sharing
from agora.lab.services import runs as run_services
from agora.lab.services import texts as text_services
from agora.lab.templatetags.lab_labels import curve_labels

LAB_PER_PAGE = 30
GENERATIONS_PER_PAGE = 12
# The lab page's lists: the cursor each pages by, and the partial that an htmx "more" gets.
LIST_CURSORS = {
    "runs_cursor": "run-rows",
    "models_cursor": "model-rows",
    "public_cursor": "public-rows",
}


def _run_named(request: HttpRequest, text: str) -> TrainingRun | None:
    """The run a form field names by id, if the viewer may see it; None for a malformed id."""
    run_id = parse_id(text)  # ASCII digits within the id column's range (PostgreSQL integer)
    return selectors.get_run_for_user(request.user, run_id) if run_id else None


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The member's runs, the models they may see and others' public runs: three lists, each
    paged by its own cursor (`runs_cursor`, `models_cursor`, `public_cursor`); an htmx "more"
    gets only the next rows of the list it extends."""
    cursors = {name: request.GET.get(name) for name in LIST_CURSORS}
    wanted = next((name for name in LIST_CURSORS if cursors[name]), None)
    htmx = request.headers.get("HX-Request") == "true" and wanted is not None
    context: dict[str, object] = {"mine": [], "mine_next": None}
    if request.user.is_authenticated and (not htmx or wanted == "runs_cursor"):
        context["mine"], context["mine_next"] = keyset_page(
            selectors.own_runs(request.user),
            key="created_at",
            cursor=cursors["runs_cursor"],
            limit=LAB_PER_PAGE,
        )
    if not htmx or wanted == "models_cursor":
        context["models"], context["models_next"] = keyset_page(
            selectors.current_models(request.user),
            key="star_count",
            cursor=cursors["models_cursor"],
            limit=LAB_PER_PAGE,
            number=True,
        )
    if not htmx or wanted == "public_cursor":
        context["public_runs"], context["public_next"] = keyset_page(
            selectors.others_public_runs(request.user),
            key="created_at",
            cursor=cursors["public_cursor"],
            limit=LAB_PER_PAGE,
        )
    if htmx:
        return render(request, f"lab/index.html#{LIST_CURSORS[wanted]}", context)
    return render(request, "lab/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def new_run(request: HttpRequest) -> HttpResponse:
    """A new run: from scratch, a fork of a run (`?fork=`), or a fine-tune of a published model
    (`?base=`: the form then offers only its family and the data sets it can learn)."""
    # Prefilled from a link ("train this yourself" in a lesson); checked when the form is sent.
    initial: dict[str, object] = {
        name: request.GET[name]
        for name in ("title", "family", "dataset", "preset", "steps", "seed")
        if name in request.GET
    }
    fork = _run_named(request, request.GET.get("fork", ""))
    if fork:
        initial = {
            "title": f"{fork.title} (fork)",
            "family": fork.family,
            "dataset": fork.dataset,
            "preset": fork.preset,
            "steps": fork.steps,
            "seed": fork.seed,
            "base_model": fork.base_model_id or "",
            "freeze_blocks": fork_freeze_blocks(fork),
            "lr": fork.lr,
        }
    base_id = parse_id(request.GET.get("base", ""))
    base = selectors.get_model_for_user(request.user, base_id) if base_id else None
    if base:
        initial.update(
            {"title": f"{base.name} (fine-tune)", "family": base.run.family, "base_model": base.id}
        )
        datasets = selectors.compatible_datasets(request.user, base)
    else:
        datasets = selectors.usable_datasets(request.user)
    # With a base chosen, only its family and its family's models; otherwise every model the
    # member may see (the service says why one does not fit the family or data set chosen).
    families = [base.run.family] if base else None
    bases = selectors.base_choices(request.user, family=base.run.family if base else None)
    form = RunForm(
        request.POST or None,
        initial=initial,
        datasets=datasets,
        bases=bases,
        families=families,
        # the forked run's preset rate (its family, data set and preset), else the base's
        preset_lr=fork.settings.get("lr") if fork and fork.lr is None else preset_lr(base),
    )
    if request.method == "POST" and form.is_valid():
        forked_from = _run_named(request, request.POST.get("forked_from", ""))
        data = dict(form.cleaned_data)
        chosen = data.pop("base_model")
        try:
            run = run_services.create_run(
                owner=request.user,
                forked_from=forked_from,
                base_model=selectors.get_model_for_user(request.user, chosen) if chosen else None,
                **data,
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect(run.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "fork": fork, "base": base, "estimates": _estimate_table()}
    return render(request, "lab/new_run.html", context, status=status)


def fork_freeze_blocks(fork: TrainingRun) -> int:
    """A fork freezes what its run froze: a run made with freeze_early, the same blocks."""
    if fork.freeze_blocks or not fork.freeze_early:
        return fork.freeze_blocks
    from genlab.config import early_blocks

    return early_blocks(fork.family, fork.settings, fork.settings.get("image_size") is not None)


def preset_lr(base: LabModel | None) -> float | None:
    """The quick preset's learning rate for a fine-tune of `base` (None when no base is chosen:
    it depends on the family)."""
    if base is None:
        return None
    from genlab.config import LOSS_OPTIONS, preset_options
    from genlab.errors import GenlabError

    family, shape = base.run.family, base.data_shape
    kind = "text" if family in TEXT_FAMILIES else "image" if len(shape) == 3 else "points"
    loss = LOSS_OPTIONS.get(str(base.run.settings.get("loss", "")), {})  # a WGAN brings its lr
    try:
        options = {**preset_options(family, kind, shape[-1] if shape else 0, "quick"), **loss}
    except GenlabError:
        return None
    return float(options["lr"]) if "lr" in options else None


def _estimate_table() -> dict:
    """Rows of families, columns of built-in data sets, each cell the quick and quality
    presets' estimated time on this server (agora/lab/estimates.py; one query)."""
    from agora.lab import estimates
    from agora.lab.models import BUILTIN_DATASETS, TEXT_DATASETS

    datasets = [name for name in BUILTIN_DATASETS if name not in TEXT_DATASETS]
    rates = estimates.measured_rates()
    rows: dict[str, dict] = {}
    for dataset in datasets:
        for e in estimates.estimates_for(dataset, rates=rates):
            row = rows.setdefault(e.family, {"label": e.family_label, "cells": {}})
            cell = row["cells"].setdefault(dataset, {"measured": e.measured_runs})
            cell[e.preset] = e.seconds
    table = [
        # a family that does not learn a data set (images only, points only) leaves its cell empty
        {"label": row["label"], "cells": [row["cells"].get(d) for d in datasets]}
        for row in rows.values()
    ]
    return {"datasets": datasets, "rows": table, "calibration": estimates.calibration_note()}


@require_safe
def run(request: HttpRequest, run_id: int) -> HttpResponse:
    obj = selectors.get_run_for_user(request.user, run_id)
    context = {
        "run": obj,
        "can_manage": permissions.can_manage_run(request.user, obj),
        "curves_json": json.dumps(obj.curves[-600:]),
        "curve_labels_json": json.dumps(
            curve_labels(obj.curves[0] if obj.curves else {}), ensure_ascii=False
        ),
        "publish_form": PublishForm(initial={"name": obj.title}),
        "published": selectors.published_model(obj),
        "can_share": permissions.can_share_run(request.user, obj),
        "base_visible": obj.base_model is not None
        and permissions.can_see_model(request.user, obj.base_model),
        "line": lane.place_in_line(obj) if obj.status == obj.Status.QUEUED else None,
    }
    if request.headers.get("HX-Request"):
        if not obj.is_active:  # finished: reload the whole page for its new actions
            return HttpResponse(headers={"HX-Refresh": "true"})
        return render(request, "lab/run.html#status", context)
    return render(request, "lab/run.html", context)


@login_required
@require_POST
def cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    obj = selectors.get_run_for_user(request.user, run_id)
    run_services.request_cancel(user=request.user, run=obj)
    messages.info(request, _("Cancelling: the run stops at its next step and keeps a checkpoint."))
    return redirect(obj.get_absolute_url())


@login_required
@require_POST
def resume(request: HttpRequest, run_id: int) -> HttpResponse:
    obj = selectors.get_run_for_user(request.user, run_id)
    try:
        run_services.resume_run(user=request.user, run=obj)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(obj.get_absolute_url())


@require_safe
def compare(request: HttpRequest) -> HttpResponse:
    ids = parse_ids(request.GET.get("ids", ""), limit=6)  # invalid ids are ignored
    runs = selectors.runs_to_compare(request.user, ids)
    series = [{"title": r.display_title, "curves": r.curves[-400:]} for r in runs]
    return render(request, "lab/compare.html", {"runs": runs, "series_json": json.dumps(series)})


@login_required
@require_POST
def publish(request: HttpRequest, run_id: int) -> HttpResponse:
    obj = selectors.get_run_for_user(request.user, run_id)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            model = publishing.publish_model(user=request.user, run=obj, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect(model.get_absolute_url())
    else:
        messages.error(request, _("Give the model a name."))
    return redirect(obj.get_absolute_url())


@login_required
@require_POST
def share_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """Start a topic, or reply to one, with the run's latest samples and its card (through the
    composer's draft, as a gallery work is shared)."""
    obj = selectors.get_run_for_user(request.user, run_id)
    try:
        target = sharing.share_run_to_forum(
            user=request.user, run=obj, topic_reference=request.POST.get("topic", "")[:500]
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(obj.get_absolute_url())
    return redirect(target)


@require_safe
def model(request: HttpRequest, model_id: int) -> HttpResponse:
    obj = selectors.get_model_for_user(request.user, model_id)
    cursor = request.GET.get("cursor")
    generations, next_cursor = keyset_page(
        selectors.model_generations(obj),
        key="created_at",
        cursor=cursor,
        limit=GENERATIONS_PER_PAGE,
    )
    if request.headers.get("HX-Request") == "true" and cursor:
        context = {"generations": generations, "next_cursor": next_cursor}
        return render(request, "lab/model.html#generation-rows", context)
    context = {
        "model": obj,
        # a zoo model's card in the reader's language, any other as its owner wrote it
        "card_html": zoo_cards.card_html(obj),
        "generations": generations,
        "next_cursor": next_cursor,
        "starred": selectors.has_starred(request.user, obj),
        "tree": selectors.lineage(request.user, obj),
        "can_fine_tune": permissions.can_fine_tune(request.user, obj),
    }
    if obj.run.family in TEXT_FAMILIES:
        context["form"] = TextGenerateForm(poem_forms=selectors.trained_forms(obj))
        return render(request, "lab/model.html", context)
    diffusion, classes = selectors.sampling_kind(obj)
    # the form starts from genlab's measured best settings for the family (docs/benchmarks.md)
    best = selectors.best_sampler_settings(obj)
    context["best"] = best
    context["num_classes"] = classes
    context["form"] = GenerateForm(
        initial={
            "sampler": best["sampler"],
            "count": 1000 if obj.run.dataset in POINT_DATASETS else 16,
            "steps": best["steps"],
            "eta": best["eta"],
            "guidance": best["guidance"],
        },
        diffusion=diffusion,
        conditional=classes > 0,
    )
    return render(request, "lab/model.html", context)


@require_safe
def download_checkpoint(request: HttpRequest, model_id: int) -> FileResponse:
    obj = selectors.get_model_for_user(request.user, model_id)
    return FileResponse(
        obj.checkpoint.open("rb"), as_attachment=True, filename=f"{obj.name}.safetensors"
    )


@login_required
@require_POST
def star(request: HttpRequest, model_id: int) -> HttpResponse:
    obj = selectors.get_model_for_user(request.user, model_id)
    publishing.toggle_star(user=request.user, model=obj)
    return redirect(obj.get_absolute_url())


@login_required
@require_POST
def generate(request: HttpRequest, model_id: int) -> HttpResponse:
    obj = selectors.get_model_for_user(request.user, model_id)
    if obj.run.family in TEXT_FAMILIES:
        return _generate_text(request, obj)
    diffusion, classes = selectors.sampling_kind(obj)
    form = GenerateForm(request.POST, diffusion=diffusion, conditional=classes > 0)
    if form.is_valid():
        data = form.cleaned_data
        try:
            generation = generation_services.request_generation(
                user=request.user,
                model=obj,
                sampler=data["sampler"],
                steps=data.get("steps", 50),
                guidance=data.get("guidance", 0.0),
                eta=data.get("eta") or 0.0,
                seed=data["seed"],
                labels=data.get("label", []),
                count=data["count"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect(generation.get_absolute_url())
    context = {
        "model": obj,
        "form": form,
        "generations": [],
        "starred": False,
        "num_classes": classes,
        "tree": selectors.lineage(request.user, obj),
        "can_fine_tune": permissions.can_fine_tune(request.user, obj),
    }
    return render(request, "lab/model.html", context, status=400)


def _generate_text(request: HttpRequest, obj) -> HttpResponse:
    form = TextGenerateForm(request.POST, poem_forms=selectors.trained_forms(obj))
    if form.is_valid():
        data = form.cleaned_data
        try:
            generation = text_services.request_text_generation(
                user=request.user,
                model=obj,
                prompt=data["prompt"],
                form=data.get("form", ""),
                acrostic=data.get("acrostic", ""),
                temperature=data["temperature"],
                top_k=data["top_k"],
                top_p=data["top_p"],
                seed=data["seed"],
                length=data["length"],
                count=data["count"],
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect(generation.get_absolute_url())
    context = {
        "model": obj,
        "form": form,
        "generations": [],
        "starred": False,
        "tree": selectors.lineage(request.user, obj),
        "can_fine_tune": permissions.can_fine_tune(request.user, obj),
    }
    return render(request, "lab/model.html", context, status=400)


@require_safe
def generation(request: HttpRequest, generation_id: int) -> HttpResponse:
    obj = selectors.get_generation_for_user(request.user, generation_id)
    context = {
        "generation": obj,
        "recipe_json": json.dumps(obj.recipe, indent=2, sort_keys=True),
        "reproductions": list(obj.reproductions.order_by("-created_at")[:5]),
    }
    if request.headers.get("HX-Request"):
        if obj.status in {Generation.Status.DONE, Generation.Status.FAILED}:
            return HttpResponse(headers={"HX-Refresh": "true"})
        return render(request, "lab/generation.html#result", context)
    return render(request, "lab/generation.html", context)


@login_required
@require_POST
def reproduce(request: HttpRequest, generation_id: int) -> HttpResponse:
    obj = selectors.get_generation_for_user(request.user, generation_id)
    try:
        copy = generation_services.reproduce(user=request.user, generation=obj)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, str(exc))
        return redirect(obj.get_absolute_url())
    return redirect(copy.get_absolute_url())


@login_required
@require_POST
def share(request: HttpRequest, generation_id: int) -> HttpResponse:
    obj = selectors.get_generation_for_user(request.user, generation_id)
    try:
        index = int(request.POST.get("index", "0"))
        work = sharing.share_to_gallery(
            user=request.user, generation=obj, index=index, title=request.POST.get("title", "")
        )
    except (ValueError, ValidationError) as exc:
        messages.error(request, str(exc))
        return redirect(obj.get_absolute_url())
    messages.success(request, _("Shared to the gallery with its recipe."))
    return redirect(work.get_absolute_url())


@login_required
@require_POST
def share_text(request: HttpRequest, generation_id: int) -> HttpResponse:
    """Start a topic, or reply to one, with the texts and their recipe card (through the
    composer's draft, as a run is shared)."""
    obj = selectors.get_generation_for_user(request.user, generation_id)
    try:
        target = sharing.share_text_to_forum(
            user=request.user, generation=obj, topic_reference=request.POST.get("topic", "")[:500]
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(obj.get_absolute_url())
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def datasets(request: HttpRequest) -> HttpResponse:
    form = DatasetForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            dataset_services.upload_dataset(owner=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Uploaded: the archive is being checked."))
            return redirect("lab:datasets")
    mine = list(selectors.own_datasets(request.user))
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "lab/datasets.html",
        {
            "form": form,
            "mine": mine,
            "builtins": [
                builtin_summary(name) for name in BUILTIN_DATASETS if name not in TEXT_DATASETS
            ],
            "text_builtins": selectors.text_builtins(),
        },
        status=status,
    )
