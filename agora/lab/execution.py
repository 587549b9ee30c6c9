"""What a lab worker executes: checking an uploaded data set, training a run under a lease
(progress, checkpoints, cancel), sampling a generation, and the beat sweep that requeues runs
whose worker died. Called by the Celery tasks in tasks.py with ids; each claims its row with a
conditional update, so a second copy of a task finds nothing to do."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agora.lab.models import POINT_DATASETS, Generation, LabDataset, TrainingRun
from agora.lab.selectors import dataset_path

logger = logging.getLogger(__name__)
RunStatus = TrainingRun.Status
PROGRESS_WRITE_SECONDS = 1.0
MAX_CURVE_POINTS = 2000
MAX_LOG_CHARS = 20_000


# --- data sets -----------------------------------------------------------------------------------


def check_dataset(*, dataset_id: int) -> LabDataset:
    """Open the archive with genlab's loader: count, items per class, a preview grid; refuse and
    delete the file when it is broken, saying why."""
    from agora.lab.dataset_summary import class_counts, preview_path, refusal_message, write_preview
    from genlab.data import load_dataset
    from genlab.errors import GenlabError

    now = timezone.now()
    claimed = LabDataset.objects.filter(
        _free(now), pk=dataset_id, status=LabDataset.Status.CHECKING
    ).update(claimed_at=now)
    dataset = LabDataset.objects.select_related("owner").get(pk=dataset_id)
    if not claimed:
        return dataset  # checked already, or another worker is checking it
    try:
        loaded = load_dataset(
            str(local_archive(dataset)), image_size=32, max_images=settings.LAB_MAX_DATASET_IMAGES
        )
    except GenlabError as exc:
        dataset.archive.delete(save=False)  # nothing of a refused upload is kept
        LabDataset.objects.filter(pk=dataset.pk).update(
            status=LabDataset.Status.REFUSED, error=refusal_message(exc, dataset.owner), archive=""
        )
        dataset.refresh_from_db()
        return dataset
    preview = preview_path(str(dataset.id))
    preview.parent.mkdir(parents=True, exist_ok=True)
    write_preview(loaded, preview)
    _to_bucket(preview)
    LabDataset.objects.filter(pk=dataset.pk).update(
        status=LabDataset.Status.READY,
        count=len(loaded),
        classes=list(loaded.classes),
        class_counts=[list(pair) for pair in class_counts(loaded)],
        shape=list(loaded.shape),
        preview=str(preview.relative_to(settings.MEDIA_ROOT)),
    )
    dataset.refresh_from_db()
    return dataset


# --- training runs -------------------------------------------------------------------------------


def _append_log(run_id: int, line: str) -> None:
    run = TrainingRun.objects.only("log").get(pk=run_id)
    text = (run.log + f"[{timezone.now():%H:%M:%S}] {line}\n")[-MAX_LOG_CHARS:]
    TrainingRun.objects.filter(pk=run_id).update(log=text)


# What a run needs to resume on another machine (genlab/train.py): weights, optimiser/RNG state.
RUN_STATE_FILES = ("state.pt", "model.safetensors", "config.json")


def _run_state_key(run_id: int, name: str) -> str:
    # Under lab/ but matching none of the lab's media rules: /media/ answers 404 for it.
    return f"lab/run-state/{run_id}/{name}"


def _to_bucket(local: Path) -> None:
    """With S3, store a file the lab wrote under MEDIA_ROOT at the same name in the bucket, so
    /media/ finds it from any machine."""
    if settings.S3_BUCKET:
        from django.core.files.storage import default_storage

        key = str(local.relative_to(settings.MEDIA_ROOT))
        default_storage.bucket.upload_file(str(local), key)


def local_checkpoint(model) -> Path:
    """A published model's checkpoint as a local file: its own path on disk, or with S3 a copy
    downloaded once per machine (the loader hashes it against the model's SHA-256 anyway)."""
    if not settings.S3_BUCKET:
        return Path(model.checkpoint.path)
    from django.core.files.storage import default_storage

    local = Path(settings.VAR_DIR) / "checkpoint-cache" / f"{model.checkpoint_sha256}.safetensors"
    if not local.is_file():
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_suffix(f".{secrets.token_hex(4)}.part")
        default_storage.bucket.download_file(model.checkpoint.name, str(partial))
        partial.replace(local)
    return local


def local_archive(dataset: LabDataset) -> Path:
    """A member's uploaded archive as a local file: its own path on disk, or with S3 a copy
    downloaded once per machine (an upload never changes: its stored name is random)."""
    if not settings.S3_BUCKET:
        return Path(dataset.archive.path)
    from django.core.files.storage import default_storage

    local = Path(settings.VAR_DIR) / "dataset-cache" / Path(dataset.archive.name).name
    if not local.is_file():
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_suffix(f".{secrets.token_hex(4)}.part")
        default_storage.bucket.download_file(dataset.archive.name, str(partial))
        partial.replace(local)
    return local


def push_run_state(run_id: int, out: Path) -> bool:
    """With S3, copy the run's resume files to the bucket after each checkpoint (one atomic PUT
    each), so a worker on another machine can resume the run. False without S3."""
    if not settings.S3_BUCKET:
        return False
    from django.core.files.storage import default_storage

    for name in RUN_STATE_FILES:
        if (out / name).is_file():
            default_storage.bucket.upload_file(str(out / name), _run_state_key(run_id, name))
    return True


def pull_run_state(run_id: int, out: Path) -> bool:
    """With S3, fetch the run's resume files from the bucket into this machine's run folder.
    True when there was a checkpoint to resume from."""
    if not settings.S3_BUCKET:
        return False
    from botocore.exceptions import ClientError
    from django.core.files.storage import default_storage

    out.mkdir(parents=True, exist_ok=True)
    for name in RUN_STATE_FILES:
        try:
            default_storage.bucket.download_file(_run_state_key(run_id, name), str(out / name))
        except ClientError:
            if name == "state.pt":
                return False  # no checkpoint yet: start from the beginning
    return True


class RunReporter:
    """genlab callback: writes progress (at most once a second), refreshes the lease heartbeat,
    and stops the loop when the owner cancelled or the lease was taken by another worker."""

    def __init__(self, run: TrainingRun, lease: str) -> None:
        self.run_id = run.id
        self.lease = lease
        self.last_write = 0.0
        self.curves = list(run.curves)
        self.lost_lease = False
        # CPU time of this process (all its threads) since the attempt began, on top of what
        # earlier attempts spent; checked against the run's budget at every cancel check.
        self.cpu_started = time.process_time()
        self.cpu_before = run.cpu_seconds
        self.cpu_budget_s = run.cpu_budget_s
        self.over_budget = False

    def cpu_seconds(self) -> float:
        return self.cpu_before + time.process_time() - self.cpu_started

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
        """A sample grid (a text model's samples are kept inline, a few lines); or, from
        autoencoding families at the end, held-out images over their reconstructions, kept apart
        (`reconstructions_url`) so the sample strip, the shared card and the search thumbnail stay
        samples."""
        if path.suffix == ".txt":
            texts = path.read_text(encoding="utf-8").splitlines()[:8]
            self._add_sample({"step": step, "texts": [t[:300] for t in texts]})
            return
        recon = path.name == "reconstructions.png"
        name = "reconstructions.png" if recon else f"step_{step:06d}.png"
        target = Path(settings.MEDIA_ROOT) / "lab" / "runs" / str(self.run_id) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        _to_bucket(target)
        url = settings.MEDIA_URL + str(target.relative_to(settings.MEDIA_ROOT))
        if recon:
            self._mine().update(reconstructions_url=url)
            return
        self._add_sample({"step": step, "url": url})

    def _add_sample(self, sample: dict) -> None:
        run = TrainingRun.objects.only("samples").get(pk=self.run_id)
        samples = [s for s in run.samples if s["step"] != sample["step"]] + [sample]
        self._mine().update(samples=samples[-24:])

    def on_checkpoint(self, step: int, path: Path) -> None:
        self._mine().update(heartbeat_at=timezone.now())
        if push_run_state(self.run_id, path.parent):
            _append_log(self.run_id, f"checkpoint at step {step} (stored in S3)")
        else:
            _append_log(self.run_id, f"checkpoint at step {step}")

    def should_cancel(self) -> bool:
        row = TrainingRun.objects.filter(pk=self.run_id).values("cancel_requested", "lease").first()
        if row is None or row["lease"] != self.lease:
            self.lost_lease = True
            return True
        if self.cpu_budget_s is not None and self.cpu_seconds() > self.cpu_budget_s:
            self.over_budget = True
            return True
        return bool(row["cancel_requested"])


def claim_run(*, run_id: int, worker: str) -> str | None:
    """Take a queued run for this worker; returns the lease, or None if another has it."""
    lease = secrets.token_hex(16)
    claimed = TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING,
        lease=lease,
        worker=worker[:200],
        heartbeat_at=timezone.now(),
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
    )
    return lease if claimed else None


def execute_run(*, run_id: int, worker: str) -> str:
    """Train a run to the end (or resume it from its checkpoint). Returns the final status, or
    "not-claimed" / "lease-lost" when another worker has the run."""
    from genlab.errors import GenlabError
    from genlab.train import train

    lease = claim_run(run_id=run_id, worker=worker)
    if lease is None:
        return "not-claimed"
    run = TrainingRun.objects.select_related("base_model").get(pk=run_id)
    out = run.out_dir
    resume = (out / "state.pt").is_file() or pull_run_state(run_id, out)
    _append_log(
        run_id, f"{'resuming' if resume else 'starting'} on {worker} (attempt {run.attempts})"
    )
    reporter = RunReporter(run, lease)
    _set_threads(run.dataset)
    config = training_config(run)
    if run.base_sha256:  # a fine-tune: genlab loads the base and checks its hash
        if run.base_model is None:
            return _finish(
                run_id,
                lease,
                RunStatus.FAILED,
                error="the base model was deleted; this fine-tune cannot continue",
            )
        config["base_model"] = str(local_checkpoint(run.base_model))
    step_before, started = run.step, time.monotonic()
    try:
        result = train(config, out_dir=out, callbacks=[reporter], resume=resume)
    except GenlabError as exc:  # including TrainingDiverged
        return _finish(run_id, lease, RunStatus.FAILED, error=str(exc), cpu=reporter.cpu_seconds())
    except Exception as exc:
        logger.exception("training run %s crashed", run_id)
        error = f"{type(exc).__name__}: {exc}"
        return _finish(run_id, lease, RunStatus.FAILED, error=error, cpu=reporter.cpu_seconds())
    if reporter.lost_lease:
        return "lease-lost"  # another worker owns the run now; leave its state alone
    if reporter.over_budget and result.status == "cancelled":
        minutes = (run.cpu_budget_s or 0) / 60
        error = f"stopped at step {result.step}: the CPU budget of {minutes:g} minutes is spent"
        return _finish(run_id, lease, RunStatus.FAILED, error=error, cpu=reporter.cpu_seconds())
    status = RunStatus.CANCELLED if result.status == "cancelled" else RunStatus.COMPLETED
    elapsed = time.monotonic() - started
    rate = (result.step - step_before) / elapsed if elapsed > 0 else 0.0
    return _finish(
        run_id,
        lease,
        status,
        metrics=result.metrics,
        sha=result.sha256,
        step=result.step,
        steps_per_s=rate if status == RunStatus.COMPLETED and result.step > step_before else 0.0,
        cpu=reporter.cpu_seconds(),
    )


def training_config(run: TrainingRun) -> dict:
    """The genlab config a run trains with: its stored settings, its data set as a local path.
    A checkpoint every tenth of the run bounds what a lost worker costs; a few sample grids.
    (These driver options do not change the weights: a rebuild with them is bit-identical.)"""
    config = dict(run.settings)
    config["dataset"] = dataset_path(run.dataset)
    config["sample_every"] = config.get("sample_every") or max(50, run.steps // 8)
    config["checkpoint_every"] = config.get("checkpoint_every") or max(10, run.steps // 10)
    return config


def _set_threads(dataset: str) -> None:
    """Tiny 2-D models run fastest on one thread (no OpenMP hand-offs); image nets use more."""
    import torch

    torch.set_num_threads(1 if dataset in POINT_DATASETS else settings.LAB_TORCH_THREADS)


def _finish(
    run_id: int,
    lease: str,
    status: str,
    *,
    error: str = "",
    metrics=None,
    sha: str = "",
    step: int | None = None,
    steps_per_s: float = 0.0,
    cpu: float | None = None,
) -> str:
    fields = {
        "status": status,
        "finished_at": timezone.now(),
        "error": error[:2000],
        "cancel_requested": False,
        "steps_per_s": steps_per_s,
    }
    if metrics is not None:
        fields["metrics"] = {k: float(v) for k, v in metrics.items()}
    if sha:
        fields["checkpoint_sha256"] = sha
    if step is not None:
        fields["step"] = step
    if cpu is not None:
        fields["cpu_seconds"] = cpu
    TrainingRun.objects.filter(pk=run_id, lease=lease).update(**fields)
    _append_log(run_id, f"{status}" + (f": {error}" if error else ""))
    return str(status)


def _free(now) -> Q:
    """Not held by a live worker: no claim, or one older than JOB_LEASE_SECONDS."""
    stale = now - timezone.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale)


def recover_stalled(*, now=None) -> list[int]:
    """The lab's sweep (agora/core/jobs.py). Runs whose worker stopped beating (killed, machine
    lost) go back to the queue; they resume from their last checkpoint on a live worker. The
    conditional update makes one recovery win. Generations and data set checks whose worker died
    or whose wake was lost are woken again; so are queued runs, but only while no run is
    training (a queued run otherwise waits its turn in the training queue, not lost). Returns
    the ids of the runs requeued."""
    from agora.core import jobs
    from agora.lab import tasks
    from agora.lab.tasks import enqueue

    now = now or timezone.now()
    Generation.objects.filter(_free(now), status=Generation.Status.RUNNING).update(
        status=Generation.Status.QUEUED, claimed_at=None
    )
    jobs.wake_due(Generation, Q(status=Generation.Status.QUEUED), tasks.generate, now=now)
    checking = Q(status=LabDataset.Status.CHECKING) & _free(now)
    jobs.wake_due(LabDataset, checking, tasks.check_dataset, now=now)
    if not TrainingRun.objects.filter(status=RunStatus.RUNNING).exists():
        jobs.wake_due(TrainingRun, Q(status=RunStatus.QUEUED), tasks.train_run, now=now)
    stale_before = now - timezone.timedelta(seconds=settings.LAB_RUN_STALE_SECONDS)
    stalled = TrainingRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale_before)
    recovered = []
    for run_id in stalled.values_list("id", flat=True):
        reset = stalled.filter(pk=run_id).update(status=RunStatus.QUEUED, lease="", worker="")
        if reset:
            _append_log(run_id, "worker lost: requeued to resume from the last checkpoint")
            transaction.on_commit(lambda run_id=run_id: enqueue("train_run", run_id))
            recovered.append(run_id)
    return recovered


# --- generations ---------------------------------------------------------------------------------


def execute_generation(*, generation_id: int) -> str:
    """Sample a queued generation and store its images, each PNG carrying the recipe. The model's
    checkpoint comes from this process's cache of loaded checkpoints (agora/lab/checkpoints.py)
    when the same file was used before; otherwise it is read, validated and hashed."""
    from agora.lab.checkpoints import cache
    from genlab.errors import GenlabError
    from genlab.recipe import Recipe
    from genlab.sample import generate

    Status = Generation.Status
    claimed = Generation.objects.filter(pk=generation_id, status=Status.QUEUED).update(
        status=Status.RUNNING, claimed_at=timezone.now()
    )
    if not claimed:
        return "not-claimed"
    generation = Generation.objects.select_related("model", "model__run").get(pk=generation_id)
    if generation.is_text:
        return _execute_text_generation(generation)
    started = time.monotonic()
    cpu_started = time.process_time()
    _set_threads(generation.model.run.dataset)
    checkpoints = cache()
    loads_before = checkpoints.loads
    try:
        recipe = Recipe.from_json(json.dumps(generation.recipe))
        checkpoint = checkpoints.get(
            local_checkpoint(generation.model),
            recipe.checkpoint_sha256 or generation.model.checkpoint_sha256,
        )
        loaded, cpu_loaded = time.monotonic(), time.process_time()
        images = generate(recipe, checkpoint)
    except GenlabError as exc:
        Generation.objects.filter(pk=generation_id).update(status=Status.FAILED, error=str(exc))
        return str(Status.FAILED)
    sampled, cpu_sampled = time.monotonic(), time.process_time()
    stored, digest = store_images(generation, images, recipe.to_json())
    finished, cpu_finished = time.monotonic(), time.process_time()
    Generation.objects.filter(pk=generation_id).update(
        status=Status.DONE, images=stored, images_sha256=digest, duration_s=finished - started
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
    return str(Status.DONE)


def store_images(generation: Generation, images, recipe_json: str) -> tuple[list[dict], str]:
    """Write a generation's uint8 images (N, H, W, C) as PNGs carrying the recipe (and to the
    bucket); returns (the ``images`` field, the pixels' SHA-256)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    folder = Path(settings.MEDIA_ROOT) / "lab" / "generations" / str(generation.id)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(images.tobytes()).hexdigest()
    url = f"{settings.MEDIA_URL}lab/generations/{generation.id}/"
    stored = []
    for index, pixels in enumerate(images):
        info = PngInfo()
        info.add_text("parameters", recipe_parameters(generation, index))
        info.add_text("agora-recipe", recipe_json)
        name = f"{index:02d}.png"
        Image.fromarray(pixels.squeeze()).save(folder / name, pnginfo=info)
        _to_bucket(folder / name)
        stored.append({"name": name, "url": url + name})
    return stored, digest


def _execute_text_generation(generation: Generation) -> str:
    """Write a text generation's texts (genlab.gpt) and their hash."""
    from agora.lab.checkpoints import cache
    from genlab.errors import GenlabError
    from genlab.gpt import TextRecipe, generate_texts, texts_sha256

    Status = Generation.Status
    started = time.monotonic()
    torch_threads = settings.LAB_TORCH_THREADS
    import torch

    torch.set_num_threads(torch_threads)
    try:
        recipe = TextRecipe.from_json(json.dumps(generation.recipe))
        checkpoint = cache().get(
            local_checkpoint(generation.model),
            recipe.checkpoint_sha256 or generation.model.checkpoint_sha256,
        )
        texts = generate_texts(recipe, checkpoint)
    except GenlabError as exc:
        Generation.objects.filter(pk=generation.id).update(status=Status.FAILED, error=str(exc))
        return str(Status.FAILED)
    Generation.objects.filter(pk=generation.id).update(
        status=Status.DONE,
        texts=texts,
        images_sha256=texts_sha256(texts),
        duration_s=time.monotonic() - started,
    )
    from agora.core import jobs
    from agora.lab.search import TEXT
    from agora.search.tasks import index_objects

    jobs.enqueue(index_objects, TEXT, [generation.id])  # update() sends no signal to follow
    return str(Status.DONE)


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
