"""Reads of the lab: access-checked getters (a run, model or generation the viewer may not see
is a 404, as if it did not exist) and the lists the pages and the API show."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agora.accounts.models import User
from agora.lab import permissions
from agora.lab.models import (
    BUILTIN_DATASETS,
    POINT_DATASETS,
    TEXT_FAMILIES,
    Generation,
    LabDataset,
    LabModel,
    Star,
    TrainingRun,
)
from genlab.config import DIFFUSION_FAMILIES  # imports no torch

MAX_COMPARED_RUNS = 6


def _id(value: int) -> int:
    """An id the database can hold; anything else names nothing."""
    if not 0 < value < 2**31:
        raise Http404("No such object")
    return value


def get_run_for_user(user: User, run_id: int) -> TrainingRun:
    run = (
        TrainingRun.objects.select_related("owner", "forked_from", "base_model").filter(
            pk=_id(run_id)
        )
    ).first()
    if run is None or not permissions.can_see_run(user, run):
        raise Http404("No such run")
    return run


def get_model_for_user(user: User, model_id: int) -> LabModel:
    model = (
        LabModel.objects.select_related("owner", "run", "topic", "base", "superseded_by")
        .filter(pk=_id(model_id))
        .first()
    )
    if model is None or not permissions.can_see_model(user, model):
        raise Http404("No such model")
    return model


def get_generation_for_user(user: User, generation_id: int) -> Generation:
    generation = (
        Generation.objects.select_related("owner", "model", "model__run", "reproduces")
        .filter(pk=_id(generation_id))
        .first()
    )
    if generation is None or not permissions.can_see_model(user, generation.model):
        raise Http404("No such generation")
    return generation


def visible_runs(user: User | None) -> QuerySet[TrainingRun]:
    """Public runs and the viewer's own."""
    return TrainingRun.objects.select_related("owner").filter(permissions.listed(user))


def visible_models(user: User | None) -> QuerySet[LabModel]:
    """Public models and the viewer's own."""
    return LabModel.objects.select_related("owner", "run").filter(permissions.listed(user))


def current_models(user: User | None) -> QuerySet[LabModel]:
    """The models lists show: visible ones less the zoo's earlier versions (a model page, its
    generations and the member's own notifications still reach those)."""
    return visible_models(user).filter(superseded_by=None)


def visible_text_generations(user: User | None) -> QuerySet[Generation]:
    """Texts written by the models the viewer may see (public models and their own), as
    get_generation_for_user decides for one."""
    return Generation.objects.select_related("owner", "model", "reproduces").filter(
        permissions.listed(user, prefix="model__"), recipe__kind="text"
    )


def own_runs(user: User) -> QuerySet[TrainingRun]:
    return TrainingRun.objects.filter(owner=user.pk or 0)


def others_public_runs(user: User) -> QuerySet[TrainingRun]:
    return (
        TrainingRun.objects.filter(private=False)
        .exclude(owner=user.pk or 0)
        .select_related("owner")
    )


def runs_to_compare(user: User, ids: list[int]) -> list[TrainingRun]:
    """Up to six runs the viewer may see, of those asked for; other ids are skipped."""
    wanted = [i for i in ids if 0 < i < 2**31][:MAX_COMPARED_RUNS]
    runs = TrainingRun.objects.filter(pk__in=wanted).select_related("owner")
    return [run for run in runs if permissions.can_see_run(user, run)]


def model_generations(model: LabModel) -> QuerySet[Generation]:
    """A model's generations (reproductions are listed on their original)."""
    return model.generations.filter(reproduces=None)


def has_starred(user: User, model: LabModel) -> bool:
    return user.is_authenticated and Star.objects.filter(model=model, user=user).exists()


def own_datasets(user: User) -> QuerySet[LabDataset]:
    return LabDataset.objects.filter(owner=user.pk or 0).order_by("-created_at")


def usable_datasets(user: User, uploads: list[LabDataset] | None = None) -> list[tuple[str, str]]:
    """The data sets a run may train on: the built-in ones and the member's checked uploads
    (`uploads`: those, when the caller has loaded them already)."""
    from agora.lab.dataset_words import choice_label

    choices = [(name, choice_label(name)) for name in BUILTIN_DATASETS]
    if user.is_authenticated:
        if uploads is None:
            uploads = list(LabDataset.objects.filter(owner=user, status=LabDataset.Status.READY))
        for upload in uploads:
            choices.append((upload.key, f"{upload.name} ({_('your upload')})"))
    return choices


def dataset_upload(key: str) -> LabDataset | None:
    """The uploaded data set a key names (None for a built-in one)."""
    return _upload(key) if key.startswith("upload:") else None


def _upload(key: str) -> LabDataset | None:
    return LabDataset.objects.filter(pk=int(key.split(":", 1)[1])).first()


def dataset_path(key: str) -> str:
    """What genlab loads for a run's data set key: a built-in name, or the uploaded archive as a
    local file (with S3, a copy fetched once per machine: see execution.local_archive)."""
    if key.startswith("upload:"):
        from agora.lab.execution import local_archive

        return str(local_archive(LabDataset.objects.get(pk=int(key.split(":", 1)[1]))))
    return key


def dataset_name(key: str) -> str:
    """The run settings' name of a data set, without fetching anything: a built-in name, or the
    upload's stored file name (the worker swaps in a local path when it trains)."""
    if key.startswith("upload:"):
        return LabDataset.objects.get(pk=int(key.split(":", 1)[1])).archive.name
    return key


def dataset_label(key: str) -> str:
    """How people call a run's data set: the built-in name, or the upload's name."""
    if key.startswith("upload:"):
        upload = _upload(key)
        return upload.name if upload else ""
    return key


def num_classes(run: TrainingRun) -> int:
    """The classes of a run's data set (a fine-tune adds them to its base's: see
    model_num_classes)."""
    if run.dataset in ("mnist5k", "digits"):
        return 10
    if run.dataset == "emoji32":
        return 9
    if run.dataset.startswith("upload:"):
        upload = _upload(run.dataset)
        return len(upload.classes) if upload else 0
    return 0


def is_conditional(run: TrainingRun, classes: int | None = None) -> bool:
    """Whether the run's model takes class labels: GANs and VAEs when trained conditional,
    diffusion and latent diffusion whenever the data set has classes (genlab's default) unless
    turned off. `classes`: num_classes(run) when the caller has it already (an uploaded data
    set costs a query)."""
    family = run.settings.get("family", run.family)
    conditional = run.settings.get("conditional")
    if classes is None:
        classes = num_classes(run)
    if family in DIFFUSION_FAMILIES:
        return conditional is not False and classes > 0
    return bool(conditional) and classes > 0


def model_num_classes(model: LabModel) -> int:
    """The classes a model's labels index: a fine-tune's are those its checkpoint names (its
    base's classes and its new ones), any other model's its data set's."""
    if model.run.base_sha256 and model.classes:
        return len(model.classes)
    return num_classes(model.run)


def sampling_kind(model: LabModel) -> tuple[bool, int]:
    """(diffusion family, the classes a label may name: 0 for an unconditional model)."""
    diffusion = model.run.settings.get("family", model.run.family) in DIFFUSION_FAMILIES
    classes = model_num_classes(model)
    return diffusion, classes if is_conditional(model.run, classes) else 0


def best_sampler_settings(model: LabModel) -> dict:
    """genlab's measured best sampler settings for this model's family (docs/benchmarks.md):
    what the generate form starts from and the model card shows."""
    from genlab.config import SAMPLER_DEFAULTS

    family = model.run.settings.get("family", model.run.family)
    diffusion, classes = sampling_kind(model)
    best = dict(SAMPLER_DEFAULTS.get(family, SAMPLER_DEFAULTS["diffusion" if diffusion else "gan"]))
    if not classes:
        best["guidance"] = 0.0
    best["diffusion"] = diffusion
    return best


def published_model(run: TrainingRun) -> LabModel | None:
    return LabModel.objects.filter(run=run).first()


# --- lineage and fine-tuning ---------------------------------------------------------------------


def dataset_kind_and_channels(key: str, upload: LabDataset | None) -> tuple[str, int | None]:
    """("points" | "image", colour channels or None when not known) of a data set key
    (`upload`: the uploaded data set it names, if it names one)."""
    from agora.lab.models import BUILTIN_CHANNELS, TEXT_DATASETS

    if key in POINT_DATASETS:
        return "points", None
    if key in TEXT_DATASETS or (upload is not None and upload.kind == LabDataset.Kind.TEXT):
        return "text", None
    if key.startswith("upload:"):
        shape = upload.shape if upload else []
        return "image", (shape[0] if len(shape) == 3 else None)
    return "image", BUILTIN_CHANNELS.get(key)


def compatible_datasets(user: User, base: LabModel) -> list[tuple[str, str]]:
    """The data sets a fine-tune of `base` may train on (one query for the member's uploads)."""
    uploads = {
        upload.key: upload
        for upload in LabDataset.objects.filter(owner=user.pk or 0, status=LabDataset.Status.READY)
    }
    choices = []
    for key, label in usable_datasets(user, uploads=list(uploads.values())):
        if not _incompatibility(base, base.run.family, key, uploads.get(key)):
            choices.append((key, label))
    return choices


def base_incompatibility(user: User, base: LabModel, *, family: str, dataset: str) -> str:
    """Why `base` cannot start a run of `family` on `dataset` ("" when it can): a fine-tune
    keeps its base's network, so the family, the kind of data and the colour channels must be
    the same (image sizes are matched by resizing the new data to the base's)."""
    upload = _upload(dataset) if dataset.startswith("upload:") else None
    return _incompatibility(base, family, dataset, upload)


def _incompatibility(base: LabModel, family: str, dataset: str, upload: LabDataset | None) -> str:
    base_family = base.run.family
    if family != base_family:
        return _(
            "“%(model)s” is a %(base)s model; a fine-tune keeps its family, so choose %(base)s."
        ) % {"model": base.name, "base": base.run.get_family_display()}
    kind, channels = dataset_kind_and_channels(dataset, upload)
    base_kind = base.data_kind or (
        "text"
        if base_family in TEXT_FAMILIES
        else "points"
        if base.run.dataset in POINT_DATASETS
        else "image"
    )
    if kind != base_kind:
        names = {
            "points": _("2-D points"),
            "image": _("images"),
            "text": pgettext("kind of data", "text"),
        }
        return _(
            "“%(model)s” was trained on %(base)s, not on %(kind)s; choose a data set of %(base)s."
        ) % {"model": base.name, "base": names[base_kind], "kind": names[kind]}
    base_channels = base.data_shape[0] if len(base.data_shape) == 3 else None
    if kind == "image" and channels and base_channels and channels != base_channels:
        return _(
            "“%(model)s” draws %(base)s images and this data set has %(new)s images; "
            "choose a data set of the same colours."
        ) % {
            "model": base.name,
            "base": _("colour") if base_channels == 3 else _("greyscale"),
            "new": _("colour") if channels == 3 else _("greyscale"),
        }
    return ""


def fine_tunable_models(user: User, family: str | None = None) -> QuerySet[LabModel]:
    """The published models the member may start a run from: those they may see (of one
    family when given), most starred first."""
    models = current_models(user).order_by("-star_count", "-id")
    if family:
        models = models.filter(run__family=family)
    return models


def base_choices(user: User, family: str | None = None, limit: int = 200) -> list[tuple[str, str]]:
    """The run form's "start from" choices: training from scratch, or one of the models the
    member may see (only that family's when the form names one)."""
    choices = [("", _("Nothing: train from scratch"))]
    for model in fine_tunable_models(user, family)[:limit]:
        label = (
            f"{model.name} · {model.run.get_family_display()} · {dataset_label(model.run.dataset)}"
        )
        if model.official:
            label += f" · {_('official')}"
        choices.append((str(model.id), label))
    return choices


def lineage(user: User, model: LabModel) -> dict:
    """The model tree around a model, like the Hugging Face Hub's: its ancestors (root first;
    one the viewer may not see is shown without its name), and its fine-tunes the viewer may
    see, each with its own number of fine-tunes. Three queries whatever the depth."""
    from django.db.models import Count

    ancestors = []
    if model.lineage:
        found = {
            m.id: m
            for m in LabModel.objects.filter(pk__in=model.lineage).select_related("owner", "run")
        }
        for ancestor_id in model.lineage:
            ancestor = found.get(ancestor_id)
            if ancestor is None:
                ancestors.append({"model": None, "gone": True})
            elif permissions.can_see_model(user, ancestor):
                ancestors.append({"model": ancestor})
            else:
                ancestors.append({"model": None})
    children = LabModel.objects.filter(permissions.listed(user), base=model)
    visible_child = permissions.listed(user, prefix="fine_tunes__")
    fine_tunes = list(
        children.select_related("owner")
        .annotate(fine_tune_count=Count("fine_tunes", filter=visible_child))
        .order_by("-star_count", "-id")[:LINEAGE_SHOWN]
    )
    count = children.count() if len(fine_tunes) == LINEAGE_SHOWN else len(fine_tunes)
    return {"ancestors": ancestors, "fine_tunes": fine_tunes, "fine_tune_count": count}


LINEAGE_SHOWN = 12


def trained_forms(model: LabModel) -> dict[str, str]:
    """The poem forms a text model was trained on, key -> name (五言绝句 ...), in genlab's order."""
    forms = model.text_spec.get("forms") or {}
    if not forms:
        return {}
    from agora.lab.services.texts import form_names

    return {key: name for key, name in form_names().items() if key in forms}


def text_builtins() -> list[dict[str, str]]:
    """The built-in text corpora with their one-line descriptions (genlab.text) in the active
    language."""
    from agora.lab.dataset_words import describe
    from genlab.text import list_text_datasets

    return [{**d, "about": describe(d["name"], d["about"])} for d in list_text_datasets()]


PROFILE_SHOWN = 5


def member_lab_work(member: User, viewer: User) -> dict:
    """A profile's texts: those the member had their models write, that the viewer may see
    (public models, or the viewer's own), newest first. One query (their models are listed
    with their works)."""
    texts = list(
        Generation.objects.filter(
            permissions.listed(viewer, prefix="model__"),
            owner=member,
            status=Generation.Status.DONE,
            recipe__kind="text",
            reproduces=None,
        )
        .select_related("model")
        .order_by("-created_at", "-id")[:PROFILE_SHOWN]
    )
    return {"texts": texts}
