"""Writes of the lab. Training and generation run in Celery tasks (tasks.py) that call the
functions below with ids; everything here is safe to run twice."""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core.markdown import render
from agora.lab import permissions
from agora.lab.models import FAMILY_CHOICES, Generation, LabDataset, LabModel, Star, TrainingRun

logger = logging.getLogger(__name__)
# the generate form's guidance for class-conditional diffusion models (w in CFG eq. 6)
DEFAULT_GUIDANCE = 2.0
BUILTIN_DATASETS = ("mnist5k", "digits", "moons", "swissroll", "8gaussians", "checkerboard")
POINT_DATASETS = ("moons", "swissroll", "8gaussians", "checkerboard")
PROGRESS_WRITE_SECONDS = 1.0
MAX_CURVE_POINTS = 2000
MAX_LOG_CHARS = 20_000


# --- data sets ---------------------------------------------------------------------------------


def dataset_path(key: str) -> str:
    """What genlab loads for a run's data set key."""
    if key.startswith("upload:"):
        upload = LabDataset.objects.get(pk=int(key.split(":", 1)[1]))
        return upload.archive.path
    return key


def usable_datasets(user: User) -> list[tuple[str, str]]:
    choices = [(name, name) for name in BUILTIN_DATASETS]
    if user.is_authenticated:
        for upload in LabDataset.objects.filter(owner=user, status=LabDataset.Status.READY):
            choices.append((upload.key, f"{upload.name} ({_('your upload')})"))
    return choices


def upload_dataset(*, owner: User, name: str, archive) -> LabDataset:
    if not owner.is_authenticated:
        raise PermissionDenied(_("Log in to upload data sets."))
    if LabDataset.objects.filter(owner=owner).count() >= settings.LAB_MAX_DATASETS_PER_MEMBER:
        raise ValidationError(
            _("You have reached your quota of %(n)d data sets; delete one first.")
            % {"n": settings.LAB_MAX_DATASETS_PER_MEMBER}
        )
    if archive.size > settings.LAB_MAX_DATASET_BYTES:
        raise ValidationError(
            _("The archive is too large (at most %(mb)d MB).")
            % {"mb": settings.LAB_MAX_DATASET_BYTES // 2**20}
        )
    name = name.strip()[:80]
    if not name:
        raise ValidationError(_("Name the data set."))
    if LabDataset.objects.filter(owner=owner, name=name).exists():
        raise ValidationError(_("You already have a data set with this name."))
    dataset = LabDataset(owner=owner, name=name, size_bytes=archive.size)
    dataset.archive.save(f"{secrets.token_hex(8)}.zip", archive, save=False)
    dataset.save()
    transaction.on_commit(lambda: _enqueue("check_dataset", dataset.id))
    return dataset


def check_dataset(*, dataset_id: int) -> LabDataset:
    """Open the archive with genlab's loader: count, items per class, a preview grid; refuse and
    delete the file when it is broken, saying why."""
    from agora.lab.dataset_summary import class_counts, preview_path, write_preview
    from genlab.data import load_dataset
    from genlab.errors import GenlabError

    dataset = LabDataset.objects.get(pk=dataset_id)
    if dataset.status != LabDataset.Status.CHECKING:
        return dataset
    try:
        loaded = load_dataset(dataset.archive.path, image_size=32)
    except GenlabError as exc:
        dataset.archive.delete(save=False)  # nothing of a refused upload is kept
        LabDataset.objects.filter(pk=dataset.pk).update(
            status=LabDataset.Status.REFUSED, error=str(exc), archive=""
        )
        dataset.refresh_from_db()
        return dataset
    preview = preview_path(str(dataset.id))
    preview.parent.mkdir(parents=True, exist_ok=True)
    write_preview(loaded, preview)
    LabDataset.objects.filter(pk=dataset.pk).update(
        status=LabDataset.Status.READY,
        count=len(loaded),
        classes=list(loaded.classes),
        class_counts=[list(pair) for pair in class_counts(loaded)],
        preview=str(preview.relative_to(settings.MEDIA_ROOT)),
    )
    dataset.refresh_from_db()
    return dataset


# --- runs ----------------------------------------------------------------------------------------


def _enqueue(task_name: str, object_id: int) -> None:
    from agora.lab import tasks

    getattr(tasks, task_name).delay(object_id)


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
    kind = "points" if dataset in POINT_DATASETS else "image"
    try:
        config = resolve_config(
            family, dataset_path(dataset), preset, kind=kind, steps=steps, seed=seed
        )
    except GenlabError as exc:
        raise ValidationError({"family": str(exc)}) from exc
    return config.to_dict()


@transaction.atomic
def create_run(
    *, owner: User, title: str, family: str, dataset: str, preset: str, steps: int | None,
    seed: int = 0, private: bool = False, forked_from: TrainingRun | None = None,
) -> TrainingRun:  # fmt: skip
    if not permissions.can_train(owner):
        raise PermissionDenied(_("Log in to train models."))
    active = TrainingRun.objects.filter(status__in=["queued", "running"])
    if active.filter(owner=owner).count() >= settings.LAB_MAX_ACTIVE_RUNS_PER_MEMBER:
        raise ValidationError(
            _("You already have %(n)d runs queued or running; wait for one to finish or cancel it.")
            % {"n": settings.LAB_MAX_ACTIVE_RUNS_PER_MEMBER}
        )
    if active.count() >= settings.LAB_MAX_QUEUED_RUNS:
        raise ValidationError(_("The lab is busy; try again in a few minutes."))
    config = validate_run(
        user=owner, family=family, dataset=dataset, preset=preset, steps=steps, seed=seed
    )
    steps = config["steps"]
    if steps > settings.LAB_MAX_STEPS:
        raise ValidationError(
            {"steps": _("Steps must be between 10 and %(n)d.") % {"n": settings.LAB_MAX_STEPS}}
        )
    run = TrainingRun.objects.create(
        owner=owner,
        title=(title.strip() or f"{family} · {dataset}")[:120],
        family=family,
        dataset=dataset,
        preset=preset,
        steps=steps,
        seed=seed,
        settings=config,
        private=private,
        forked_from=forked_from,
        total_steps=steps,
    )
    transaction.on_commit(lambda: _enqueue("train_run", run.id))
    return run


def request_cancel(*, user: User, run: TrainingRun) -> None:
    if not permissions.can_manage_run(user, run):
        raise PermissionDenied(_("Only the owner can cancel this run."))
    if run.status == TrainingRun.Status.QUEUED:
        claimed = TrainingRun.objects.filter(pk=run.pk, status="queued").update(
            status="cancelled", finished_at=timezone.now()
        )
        if claimed:
            return
    TrainingRun.objects.filter(pk=run.pk, status="running").update(cancel_requested=True)


@transaction.atomic
def resume_run(*, user: User, run: TrainingRun) -> TrainingRun:
    if not permissions.can_manage_run(user, run):
        raise PermissionDenied(_("Only the owner can resume this run."))
    if run.status not in {TrainingRun.Status.FAILED, TrainingRun.Status.CANCELLED}:
        raise ValidationError(_("Only a failed or cancelled run can be resumed."))
    updated = TrainingRun.objects.filter(pk=run.pk, status__in=["failed", "cancelled"]).update(
        status="queued", cancel_requested=False, error="", finished_at=None
    )
    if updated:
        transaction.on_commit(lambda: _enqueue("train_run", run.id))
    run.refresh_from_db()
    return run


def _append_log(run_id: int, line: str) -> None:
    run = TrainingRun.objects.only("log").get(pk=run_id)
    text = (run.log + f"[{timezone.now():%H:%M:%S}] {line}\n")[-MAX_LOG_CHARS:]
    TrainingRun.objects.filter(pk=run_id).update(log=text)


class RunReporter:
    """genlab callback: writes progress (at most once a second), refreshes the lease heartbeat,
    and stops the loop when the owner cancelled or the lease was taken by another worker."""

    def __init__(self, run: TrainingRun, lease: str) -> None:
        self.run_id = run.id
        self.lease = lease
        self.last_write = 0.0
        self.curves = list(run.curves)
        self.lost_lease = False

    def _mine(self):
        return TrainingRun.objects.filter(pk=self.run_id, lease=self.lease)

    def on_progress(self, progress) -> None:
        point = {
            "step": progress.step,
            **{k: round(float(v), 6) for k, v in progress.losses.items()},
        }
        self.curves.append(point)
        if len(self.curves) > MAX_CURVE_POINTS:
            self.curves = self.curves[::2]
        now = time.monotonic()
        if now - self.last_write < PROGRESS_WRITE_SECONDS and progress.step < progress.total:
            return
        self.last_write = now
        updated = self._mine().update(
            step=progress.step,
            total_steps=progress.total,
            curves=self.curves,
            images_per_s=progress.images_per_s,
            eta_s=progress.eta_s,
            heartbeat_at=timezone.now(),
        )
        self.lost_lease = self.lost_lease or not updated

    def on_samples(self, step: int, path: Path) -> None:
        target = (
            Path(settings.MEDIA_ROOT) / "lab" / "runs" / str(self.run_id) / f"step_{step:06d}.png"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        url = settings.MEDIA_URL + str(target.relative_to(settings.MEDIA_ROOT))
        run = TrainingRun.objects.only("samples").get(pk=self.run_id)
        samples = [s for s in run.samples if s["step"] != step] + [{"step": step, "url": url}]
        self._mine().update(samples=samples[-24:])

    def on_checkpoint(self, step: int, path: Path) -> None:
        self._mine().update(heartbeat_at=timezone.now())
        _append_log(self.run_id, f"checkpoint at step {step}")

    def should_cancel(self) -> bool:
        row = TrainingRun.objects.filter(pk=self.run_id).values("cancel_requested", "lease").first()
        if row is None or row["lease"] != self.lease:
            self.lost_lease = True
            return True
        return bool(row["cancel_requested"])


def claim_run(*, run_id: int, worker: str) -> str | None:
    """Take a queued run for this worker; returns the lease, or None if another has it."""
    lease = secrets.token_hex(16)
    claimed = TrainingRun.objects.filter(pk=run_id, status="queued").update(
        status="running",
        lease=lease,
        worker=worker[:200],
        heartbeat_at=timezone.now(),
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
    )
    return lease if claimed else None


def execute_run(*, run_id: int, worker: str) -> str:
    """Train a run to the end (or resume it from its checkpoint). Returns the final status."""
    from genlab.errors import GenlabError, TrainingDiverged
    from genlab.train import train

    lease = claim_run(run_id=run_id, worker=worker)
    if lease is None:
        return "not-claimed"
    run = TrainingRun.objects.get(pk=run_id)
    out = run.out_dir
    resume = (out / "state.pt").is_file()
    _append_log(
        run_id, f"{'resuming' if resume else 'starting'} on {worker} (attempt {run.attempts})"
    )
    reporter = RunReporter(run, lease)
    _set_threads(run.dataset)
    config = dict(run.settings)
    config["dataset"] = dataset_path(run.dataset)
    # A checkpoint every tenth of the run bounds what a lost worker costs; a few sample grids.
    config["sample_every"] = config.get("sample_every") or max(50, run.steps // 8)
    config["checkpoint_every"] = config.get("checkpoint_every") or max(10, run.steps // 10)
    try:
        result = train(config, out_dir=out, callbacks=[reporter], resume=resume)
    except TrainingDiverged as exc:
        return _finish(run_id, lease, "failed", error=str(exc))
    except GenlabError as exc:
        return _finish(run_id, lease, "failed", error=str(exc))
    except Exception as exc:
        logger.exception("training run %s crashed", run_id)
        return _finish(run_id, lease, "failed", error=f"{type(exc).__name__}: {exc}")
    if reporter.lost_lease:
        return "lease-lost"  # another worker owns the run now; leave its state alone
    status = "cancelled" if result.status == "cancelled" else "completed"
    return _finish(
        run_id, lease, status, metrics=result.metrics, sha=result.sha256, step=result.step
    )


def _set_threads(dataset: str) -> None:
    """Tiny 2-D models run fastest on one thread (no OpenMP hand-offs); image nets use more."""
    import torch

    torch.set_num_threads(1 if dataset in POINT_DATASETS else settings.LAB_TORCH_THREADS)


def _finish(run_id: int, lease: str, status: str, *, error: str = "", metrics=None, sha: str = "",
            step: int | None = None) -> str:  # fmt: skip
    fields = {
        "status": status,
        "finished_at": timezone.now(),
        "error": error[:2000],
        "cancel_requested": False,
    }
    if metrics is not None:
        fields["metrics"] = {k: float(v) for k, v in metrics.items()}
    if sha:
        fields["checkpoint_sha256"] = sha
    if step is not None:
        fields["step"] = step
    TrainingRun.objects.filter(pk=run_id, lease=lease).update(**fields)
    _append_log(run_id, f"{status}" + (f": {error}" if error else ""))
    return status


def recover_stalled(*, now=None) -> list[int]:
    """Runs whose worker stopped beating (killed, machine lost) go back to the queue; they resume
    from their last checkpoint on a live worker. The conditional update makes one recovery win."""
    now = now or timezone.now()
    stale_before = now - timezone.timedelta(seconds=settings.LAB_RUN_STALE_SECONDS)
    recovered = []
    for run_id in TrainingRun.objects.filter(
        status="running", heartbeat_at__lt=stale_before
    ).values_list("id", flat=True):
        reset = TrainingRun.objects.filter(
            pk=run_id, status="running", heartbeat_at__lt=stale_before
        ).update(status="queued", lease="", worker="")
        if reset:
            _append_log(run_id, "worker lost: requeued to resume from the last checkpoint")
            transaction.on_commit(lambda run_id=run_id: _enqueue("train_run", run_id))
            recovered.append(run_id)
    return recovered


# --- sharing a run to the forum ---------------------------------------------------------------

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
    """Put the run's card into the member's composer draft: a new topic, or a reply to the topic
    they name (its number or its address). Returns where the composer is."""
    from agora.forum import permissions as forum_permissions
    from agora.forum.models import Topic
    from agora.forum.services import draft_key_for, save_draft

    if not permissions.can_share_run(user, run):
        if run.private:
            raise PermissionDenied(_("Make the run public before sharing it."))
        if run.status != TrainingRun.Status.COMPLETED:
            raise ValidationError(_("Only a completed run can be shared."))
        raise PermissionDenied(_("Log in to share runs."))
    raw = run_card_markdown(run)
    if not topic_reference.strip():
        save_draft(user=user, key=draft_key_for(None), title=run.title, raw=raw)
        return "/new-topic/?category=image-generation"
    match = TOPIC_REFERENCE.match(topic_reference)
    if match is None:
        raise ValidationError(_("Give the topic's number or paste its address."))
    topic_id = int(match.group(1) or topic_reference.strip())
    topic = Topic.objects.filter(pk=topic_id).first()
    access = forum_permissions.category_access_for(user)
    if topic is None or not forum_permissions.can_see_topic(user, topic, access):
        raise ValidationError(_("There is no such topic."))
    if not forum_permissions.can_reply(user, topic, access):
        raise ValidationError(_("You cannot reply to this topic."))
    save_draft(user=user, key=draft_key_for(topic), raw=raw)
    return topic.get_absolute_url() + "#reply"


# --- models ----------------------------------------------------------------------------


@transaction.atomic
def publish_model(
    *, user: User, run: TrainingRun, name: str, card: str, licence: str, private: bool
) -> LabModel:
    if not permissions.can_manage_run(user, run):
        raise PermissionDenied(_("Only the owner can publish this run."))
    if run.status != TrainingRun.Status.COMPLETED:
        raise ValidationError(_("Only a completed run can be published."))
    if LabModel.objects.filter(run=run).exists():
        raise ValidationError(_("This run is already published."))
    if len(name.strip()) < 3:
        raise ValidationError({"name": _("Give the model a name of at least 3 characters.")})
    source = run.out_dir / "model.safetensors"
    if not source.is_file():
        raise ValidationError(_("The run's checkpoint is missing; it cannot be published."))
    model = LabModel(
        run=run,
        owner=user,
        name=name.strip()[:120],
        card=card,
        card_html=render(card) if card.strip() else "",
        licence=licence[:40],
        private=private or run.private,
        checkpoint_sha256=run.checkpoint_sha256,
    )
    with source.open("rb") as handle:
        model.checkpoint.save(f"{run.checkpoint_sha256[:16]}.safetensors", File(handle), save=False)
    model.save()
    if not model.private:
        from agora.forum.services import open_discussion

        raw = f"{card or name}\n\n[{_('Model page')}]({model.get_absolute_url()})"
        model.topic = open_discussion(
            author=user,
            category_slug="image-generation",
            title=f"{_('Model')}: {model.name}",
            raw=raw,
        )
        model.save(update_fields=["topic"])
    return model


def toggle_star(*, user: User, model: LabModel) -> bool:
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to star models."))
    with transaction.atomic():
        deleted, _details = Star.objects.filter(model=model, user=user).delete()
        if deleted:
            LabModel.objects.filter(pk=model.pk).update(star_count=F("star_count") - 1)
            return False
    try:
        with transaction.atomic():
            Star.objects.create(model=model, user=user)
            LabModel.objects.filter(pk=model.pk).update(star_count=F("star_count") + 1)
    except IntegrityError:
        pass
    return True


# --- generations -----------------------------------------------------------------------

SAMPLERS = ("ddpm", "ddim", "direct")


def request_generation(
    *, user: User, model: LabModel, sampler: str, steps: int, guidance: float, seed: int | None,
    labels: list[int] | None, count: int, eta: float = 0.0, reproduces: Generation | None = None,
) -> Generation:  # fmt: skip
    """Validate the recipe against the model before anything is queued."""
    from genlab.errors import GenlabError
    from genlab.recipe import MAX_COUNT, Recipe

    if not permissions.can_see_model(user, model) or not user.is_authenticated:
        raise PermissionDenied(_("You may not use this model."))
    errors: dict[str, str] = {}
    family = model.run.settings.get("family", model.run.family)
    allowed = ("ddpm", "ddim") if family in ("diffusion", "latent") else ("direct",)
    if sampler not in allowed:
        errors["sampler"] = _("This model samples with: %(list)s.") % {"list": ", ".join(allowed)}
    if not 1 <= steps <= 1000:
        errors["steps"] = _("Steps must be between 1 and 1000.")
    if not 0 <= guidance <= 20:
        errors["guidance"] = _("Guidance must be between 0 and 20.")
    points = model.run.dataset in POINT_DATASETS
    # a 2-D model draws points into one scatter plot, up to what genlab samples in one go
    most = MAX_COUNT if points else 64
    if not 1 <= count <= most:
        errors["count"] = _("Make between 1 and %(n)d samples.") % {"n": most}
    if not 0 <= eta <= 1:
        errors["eta"] = _("eta must be between 0 and 1.")
    if seed is None:
        seed = secrets.randbelow(2**31)
    if not 0 <= seed < 2**31:
        errors["seed"] = _("The seed must be a whole number from 0 to 2147483647.")
    if labels:
        classes = num_classes(model.run)
        if not is_conditional(model.run, classes):
            errors["labels"] = _("This model is not conditional; leave the label empty.")
        elif any(not 0 <= label < classes for label in labels):
            errors["labels"] = _("Labels must be between 0 and %(n)d.") % {"n": classes - 1}
    if errors:
        raise ValidationError(errors)
    try:
        recipe = Recipe(
            checkpoint_sha256=model.checkpoint_sha256,
            sampler=sampler,
            steps=steps,
            eta=eta,
            guidance=guidance,
            seed=seed,
            labels=tuple(labels) if labels else None,
            count=count,
        )
    except GenlabError as exc:
        raise ValidationError(str(exc)) from exc
    generation = Generation.objects.create(
        model=model,
        owner=user,
        recipe=json.loads(recipe.to_json()),
        recipe_hash=recipe.hash,
        reproduces=reproduces,
    )
    transaction.on_commit(lambda: _enqueue("generate", generation.id))
    return generation


def is_conditional(run: TrainingRun, classes: int | None = None) -> bool:
    """Whether the run's model takes class labels: GANs and VAEs when trained conditional,
    diffusion and latent diffusion whenever the data set has classes (genlab's default) unless
    turned off. `classes`: num_classes(run) when the caller has it already (an uploaded data
    set costs a query)."""
    family = run.settings.get("family", run.family)
    conditional = run.settings.get("conditional")
    if classes is None:
        classes = num_classes(run)
    if family in ("diffusion", "latent"):
        return conditional is not False and classes > 0
    return bool(conditional) and classes > 0


def num_classes(run: TrainingRun) -> int:
    if run.dataset in ("mnist5k", "digits"):
        return 10
    if run.dataset.startswith("upload:"):
        upload = LabDataset.objects.filter(pk=int(run.dataset.split(":", 1)[1])).first()
        return len(upload.classes) if upload else 0
    return 0


def reproduce(*, user: User, generation: Generation) -> Generation:
    from genlab.recipe import Recipe

    recipe = Recipe.from_json(json.dumps(generation.recipe))
    return request_generation(
        user=user,
        model=generation.model,
        sampler=recipe.sampler or "ddim",
        steps=recipe.steps,
        guidance=recipe.guidance,
        seed=recipe.seed,
        labels=list(recipe.labels) if recipe.labels else None,
        count=recipe.count,
        eta=recipe.eta,
        reproduces=generation.reproduces or generation,
    )


def execute_generation(*, generation_id: int) -> str:
    """Sample a queued generation and store its images, each PNG carrying the recipe. The model's
    checkpoint comes from this process's cache of loaded checkpoints (agora/lab/checkpoints.py)
    when the same file was used before; otherwise it is read, validated and hashed."""
    import hashlib

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from agora.lab.checkpoints import cache
    from genlab.errors import GenlabError
    from genlab.recipe import Recipe
    from genlab.sample import generate

    claimed = Generation.objects.filter(pk=generation_id, status="queued").update(status="running")
    if not claimed:
        return "not-claimed"
    generation = Generation.objects.select_related("model", "model__run").get(pk=generation_id)
    started = time.monotonic()
    cpu_started = time.process_time()
    _set_threads(generation.model.run.dataset)
    checkpoints = cache()
    loads_before = checkpoints.loads
    try:
        recipe = Recipe.from_json(json.dumps(generation.recipe))
        checkpoint = checkpoints.get(
            generation.model.checkpoint.path,
            recipe.checkpoint_sha256 or generation.model.checkpoint_sha256,
        )
        loaded, cpu_loaded = time.monotonic(), time.process_time()
        images = generate(recipe, checkpoint)
    except GenlabError as exc:
        Generation.objects.filter(pk=generation_id).update(status="failed", error=str(exc))
        return "failed"
    sampled, cpu_sampled = time.monotonic(), time.process_time()
    folder = Path(settings.MEDIA_ROOT) / "lab" / "generations" / str(generation_id)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(images.tobytes()).hexdigest()
    recipe_json = recipe.to_json()
    url = f"{settings.MEDIA_URL}lab/generations/{generation_id}/"
    stored = []
    for index, pixels in enumerate(images):
        info = PngInfo()
        info.add_text("parameters", recipe_parameters(generation, index))
        info.add_text("agora-recipe", recipe_json)
        name = f"{index:02d}.png"
        Image.fromarray(pixels.squeeze()).save(folder / name, pnginfo=info)
        stored.append({"name": name, "url": url + name})
    finished, cpu_finished = time.monotonic(), time.process_time()
    Generation.objects.filter(pk=generation_id).update(
        status="done", images=stored, images_sha256=digest, duration_s=finished - started
    )
    logger.info(
        "generation %s done: checkpoint %s %.1f ms, sampling %.1f ms, storing %d images %.1f ms "
        "(CPU: %.1f, %.1f, %.1f ms)",
        generation_id,
        "loaded" if checkpoints.loads != loads_before else "cached",
        (loaded - started) * 1000,
        (sampled - loaded) * 1000,
        len(stored),
        (finished - sampled) * 1000,
        (cpu_loaded - cpu_started) * 1000,
        (cpu_sampled - cpu_loaded) * 1000,
        (cpu_finished - cpu_sampled) * 1000,
    )
    return "done"


def recipe_parameters(generation: Generation, index: int) -> str:
    """An A1111-compatible parameters line for a lab image."""
    r = generation.recipe
    label = (r.get("labels") or [None])[index % len(r.get("labels") or [None])]
    prompt = f"class {label}" if label is not None else "unconditional"
    sampler = r.get("sampler") or "default"
    model = generation.model
    return (
        f"{prompt}\nSteps: {r['steps']}, Sampler: {sampler}, CFG scale: {r.get('guidance', 0):g}, "
        f"Seed: {r['seed']}, Model hash: {model.checkpoint_sha256[:10]}, Model: {model.name}, "
        f"Image index: {index}"
    )


def share_to_gallery(*, user: User, generation: Generation, index: int, title: str):
    """A lab image becomes a gallery work carrying its full recipe."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agora.gallery.services import upload_work

    if generation.owner_id != user.pk:
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
    )
    type(work).objects.filter(pk=work.pk).update(
        source="lab", dataset=dataset_label(generation.model.run.dataset)
    )
    work.refresh_from_db()
    return work


def dataset_label(key: str) -> str:
    """How people call a run's data set: the built-in name, or the upload's name."""
    if key.startswith("upload:"):
        upload = LabDataset.objects.filter(pk=int(key.split(":", 1)[1])).first()
        return upload.name if upload else ""
    return key


def visible_models(user):
    queryset = LabModel.objects.select_related("owner", "run")
    if user is not None and user.is_authenticated:
        return queryset.filter(Q(private=False) | Q(owner=user))
    return queryset.filter(private=False)
