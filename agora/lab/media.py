"""The lab's private files: run sample grids, generated images, members' data sets and model
checkpoints are served only to whoever may see the run, model or data set (permissions.py)."""

from __future__ import annotations

from django.db.models import Q

from agora.core.media_access import register_media, verdict
from agora.lab import permissions
from agora.lab.models import Generation, LabDataset, LabModel, TrainingRun


def run_sample(user, path, match):
    run = TrainingRun.objects.filter(pk=int(match["run"])).only("private", "owner_id").first()
    return None if run is None else verdict(run.private, permissions.can_see_run(user, run))


def generated_image(user, path, match):
    generation = (
        Generation.objects.filter(pk=int(match["generation"]))
        .select_related("model")
        .only("model__private", "model__owner_id")
        .first()
    )
    if generation is None:
        return None
    model = generation.model
    return verdict(model.private, permissions.can_see_model(user, model))


def dataset_file(user, path, match):
    # A member's data set (archive and preview) is theirs alone, like the data sets page.
    dataset = LabDataset.objects.filter(Q(archive=path) | Q(preview=path)).only("owner_id").first()
    return None if dataset is None else verdict(True, permissions.can_see_dataset(user, dataset))


def checkpoint(user, path, match):
    model = LabModel.objects.filter(checkpoint=path).only("private", "owner_id").first()
    return None if model is None else verdict(model.private, permissions.can_see_model(user, model))


register_media("lab/", r"lab/runs/(?P<run>\d+)/[^/]+", run_sample)
register_media("lab/", r"lab/generations/(?P<generation>\d+)/[^/]+", generated_image)
# Built-in data set previews (drawn from the training split only: dataset_summary._builtin)
register_media("lab/", r"lab/datasets/preview-builtin-[\w.-]+-train\.png", lambda *_: "public")
register_media("lab/", r"lab/datasets/[^/]+", dataset_file)
register_media("lab/", r"lab/models/[^/]+", checkpoint)
