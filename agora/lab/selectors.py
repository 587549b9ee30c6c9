"""Reads of the lab: access-checked getters (a run, model or generation the viewer may not see
is a 404, as if it did not exist) and the lists the pages and the API show."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.lab import permissions
from agora.lab.models import BUILTIN_DATASETS, Generation, LabDataset, LabModel, Star, TrainingRun
from genlab.config import DIFFUSION_FAMILIES  # imports no torch

MAX_COMPARED_RUNS = 6


def _id(value: int) -> int:
    """An id the database can hold; anything else names nothing."""
    if not 0 < value < 2**31:
        raise Http404("No such object")
    return value


def get_run_for_user(user: User, run_id: int) -> TrainingRun:
    run = TrainingRun.objects.select_related("owner", "forked_from").filter(pk=_id(run_id)).first()
    if run is None or not permissions.can_see_run(user, run):
        raise Http404("No such run")
    return run


def get_model_for_user(user: User, model_id: int) -> LabModel:
    model = (
        LabModel.objects.select_related("owner", "run", "topic").filter(pk=_id(model_id)).first()
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


def usable_datasets(user: User) -> list[tuple[str, str]]:
    """The data sets a run may train on: the built-in ones and the member's checked uploads."""
    choices = [(name, name) for name in BUILTIN_DATASETS]
    if user.is_authenticated:
        for upload in LabDataset.objects.filter(owner=user, status=LabDataset.Status.READY):
            choices.append((upload.key, f"{upload.name} ({_('your upload')})"))
    return choices


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
    if run.dataset in ("mnist5k", "digits"):
        return 10
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


def sampling_kind(model: LabModel) -> tuple[bool, int]:
    """(diffusion family, the classes a label may name: 0 for an unconditional model)."""
    diffusion = model.run.settings.get("family", model.run.family) in DIFFUSION_FAMILIES
    classes = num_classes(model.run)
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
