"""Starting, cancelling and resuming training runs; the worker trains them
(agora.lab.execution.execute_run)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core.limits import check_lengths
from agora.lab import permissions
from agora.lab.models import FAMILY_CHOICES, TEXT_FAMILIES, LabModel, TrainingRun
from agora.lab.selectors import (
    base_incompatibility,
    dataset_kind_and_channels,
    dataset_name,
    dataset_upload,
    usable_datasets,
)
from agora.lab.tasks import enqueue

Status = TrainingRun.Status
# The learning rates a member may choose (empty: the preset's); outside them a run diverges or
# does not move in the steps the lab allows.
LR_RANGE = (1e-6, 0.1)


def validate_run(
    *, user: User, family: str, dataset: str, preset: str, steps: int | None, seed: int
) -> dict:
    """The run's resolved genlab settings; `steps=None` takes the preset's steps."""
    from genlab.config import resolve_config
    from genlab.errors import GenlabError

    errors: dict[str, str] = {}
    if family not in dict(FAMILY_CHOICES):
        errors["family"] = _("Choose a model family.")
    if dataset not in dict(usable_datasets(user)):
        errors["dataset"] = _("Choose one of the data sets you may use.")
    if preset not in ("quick", "quality"):
        errors["preset"] = _("Choose the quick or the quality preset.")
    if steps is not None and not 10 <= steps <= settings.LAB_MAX_STEPS:
        errors["steps"] = _("Steps must be between 10 and %(n)d.") % {"n": settings.LAB_MAX_STEPS}
    if not 0 <= seed < 2**31:
        errors["seed"] = _("The seed must be a whole number from 0 to 2147483647.")
    if errors:
        raise ValidationError(errors)
    kind, _channels = dataset_kind_and_channels(dataset, dataset_upload(dataset))
    if (family in TEXT_FAMILIES) != (kind == "text"):
        raise ValidationError(
            {
                "dataset": _("A text model learns from text: choose tang, kjv or a text upload.")
                if family in TEXT_FAMILIES
                else _("This family learns images or points; choose one of those data sets.")
            }
        )
    try:
        config = resolve_config(
            family, dataset_name(dataset), preset, kind=kind, steps=steps, seed=seed
        )
    except GenlabError as exc:
        raise ValidationError({"family": str(exc)}) from exc
    return config.to_dict()


@transaction.atomic
def create_run(
    *,
    owner: User,
    title: str,
    family: str,
    dataset: str,
    preset: str,
    steps: int | None,
    seed: int = 0,
    private: bool = False,
    forked_from: TrainingRun | None = None,
    base_model: LabModel | None = None,
    freeze_early: bool = False,
    freeze_blocks: int | None = 0,
    lr: float | None = None,
    cpu_budget_minutes: int | None = None,
) -> TrainingRun:
    """A queued run; with `base_model`, a fine-tune that starts from that model's weights.
    `freeze_blocks` keeps the base's first N blocks fixed (`freeze_early`, the older option:
    its early layers); `lr` replaces the preset's learning rate."""
    if not permissions.can_train(owner):
        raise PermissionDenied(_("Log in to train models."))
    if base_model is not None and not permissions.can_fine_tune(owner, base_model):
        raise PermissionDenied(_("You may not use this model."))
    freeze_blocks = freeze_blocks or 0
    if freeze_early and base_model is None:
        raise ValidationError(
            {"freeze_early": _("Only a fine-tune has early layers to freeze; choose a base model.")}
        )
    if freeze_blocks and base_model is None:
        raise ValidationError(
            {"freeze_blocks": _("Only a fine-tune has blocks to freeze; choose a base model.")}
        )
    if freeze_blocks and freeze_early:
        raise ValidationError(
            {"freeze_blocks": _("Freeze the early layers or a number of blocks, not both.")}
        )
    if lr is not None and not LR_RANGE[0] <= lr <= LR_RANGE[1]:
        raise ValidationError(
            {"lr": _("The learning rate must be between 0.000001 and 0.1 (empty: the preset's).")}
        )
    active = TrainingRun.objects.filter(status__in=[Status.QUEUED, Status.RUNNING])
    if active.filter(owner=owner).count() >= settings.LAB_MAX_ACTIVE_RUNS_PER_MEMBER:
        raise ValidationError(
            _("You already have %(n)d runs queued or running; wait for one to finish or cancel it.")
            % {"n": settings.LAB_MAX_ACTIVE_RUNS_PER_MEMBER}
        )
    if active.count() >= settings.LAB_MAX_QUEUED_RUNS:
        raise ValidationError(_("The lab is busy; try again in a few minutes."))
    check_lengths(TrainingRun, title=title.strip())
    config = validate_run(
        user=owner, family=family, dataset=dataset, preset=preset, steps=steps, seed=seed
    )
    if base_model is not None:
        reason = base_incompatibility(owner, base_model, family=family, dataset=dataset)
        if reason:
            raise ValidationError({"base_model": reason})
        available = base_blocks(base_model)
        if not 0 <= freeze_blocks <= available:
            raise ValidationError(
                {
                    "freeze_blocks": _(
                        "%(name)s has %(n)d blocks to freeze; choose from 0 to %(n)d."
                    )
                    % {"name": base_model.name, "n": available}
                }
            )
        config = fine_tune_config(
            config, base_model, freeze_early=freeze_early, freeze_blocks=freeze_blocks
        )
    if lr is not None:
        config["lr"] = lr
    if cpu_budget_minutes is not None and not 1 <= cpu_budget_minutes <= 24 * 60:
        raise ValidationError(
            {"cpu_budget_minutes": _("The CPU budget must be between 1 and 1440 minutes.")}
        )
    steps = config["steps"]
    if steps > settings.LAB_MAX_STEPS:
        raise ValidationError(
            {"steps": _("Steps must be between 10 and %(n)d.") % {"n": settings.LAB_MAX_STEPS}}
        )
    run = TrainingRun.objects.create(
        owner=owner,
        title=title.strip() or f"{family} · {dataset}",
        family=family,
        dataset=dataset,
        preset=preset,
        steps=steps,
        seed=seed,
        settings=config,
        private=private,
        forked_from=forked_from,
        base_model=base_model,
        base_sha256=base_model.checkpoint_sha256 if base_model else "",
        freeze_early=freeze_early,
        freeze_blocks=freeze_blocks,
        lr=lr,
        total_steps=steps,
        cpu_budget_s=cpu_budget_minutes * 60 if cpu_budget_minutes else None,
    )
    transaction.on_commit(lambda: enqueue("train_run", run.id))
    return run


# The options that shape a network's weights: a fine-tune takes them from its base, so that the
# base's tensors fit (genlab/config.py's TrainConfig).
ARCHITECTURE_OPTIONS = (
    "image_size",
    "conditional",
    "loss",
    "z_dim",
    "likelihood",
    "schedule",
    "T",
    "schedule_version",
    "base",
    "mults",
    "attention",
    "hidden",
    "width",
    # gpt: the context, width, depth and heads, and the tokenizer (genlab.finetune)
    "block_size",
    "n_embd",
    "n_layer",
    "n_head",
    "tokenizer",
)


def base_blocks(base_model: LabModel) -> int:
    """How many blocks of a base a fine-tune may freeze (genlab.config.freezable_blocks)."""
    from genlab.config import freezable_blocks

    image = len(base_model.data_shape) == 3
    return freezable_blocks(base_model.run.family, base_model.run.settings, image)


def fine_tune_config(
    config: dict, base_model: LabModel, *, freeze_early: bool = False, freeze_blocks: int = 0
) -> dict:
    """The run's settings with its base's architecture (its image size too: the new data is
    resized to it), the hash of the base's weights (genlab refuses other weights under that
    name) and the freezing. The worker names the base's file (base_model) when it trains."""
    base_settings = base_model.run.settings
    merged = dict(config, base_sha256=base_model.checkpoint_sha256, freeze_early=freeze_early)
    if freeze_blocks:  # written only when set, as genlab writes it (TrainConfig.to_dict)
        merged["freeze_blocks"] = freeze_blocks
    for name in ARCHITECTURE_OPTIONS:
        if name in base_settings:
            merged[name] = base_settings[name]
    if merged.get("image_size") is None and len(base_model.data_shape) == 3:
        merged["image_size"] = base_model.data_shape[-1]
    return merged


def request_cancel(*, user: User, run: TrainingRun) -> None:
    if not permissions.can_manage_run(user, run):
        raise PermissionDenied(_("Only the owner can cancel this run."))
    if run.status == Status.QUEUED:
        claimed = TrainingRun.objects.filter(pk=run.pk, status=Status.QUEUED).update(
            status=Status.CANCELLED, finished_at=timezone.now()
        )
        if claimed:
            return
    TrainingRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(cancel_requested=True)


@transaction.atomic
def resume_run(*, user: User, run: TrainingRun) -> TrainingRun:
    if not permissions.can_manage_run(user, run):
        raise PermissionDenied(_("Only the owner can resume this run."))
    resumable = [Status.FAILED, Status.CANCELLED]
    if not run.is_resumable:
        raise ValidationError(_("Only a failed or cancelled run can be resumed."))
    updated = TrainingRun.objects.filter(pk=run.pk, status__in=resumable).update(
        status=Status.QUEUED, cancel_requested=False, error="", finished_at=None
    )
    if updated:
        transaction.on_commit(lambda: enqueue("train_run", run.id))
    run.refresh_from_db()
    return run
