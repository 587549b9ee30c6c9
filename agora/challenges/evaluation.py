"""What the worker does with a submission (on the training queue): score the entry's checkpoint
under the challenge's protocol against the sealed split, rebuild the checkpoint from the run's
recipe and draw the protocol's samples again from it; the entry is placed only when both are
bit-identical (the ✓ verified badge), else refused with the reason. Claimed with a conditional
update, so a second copy of the task finds nothing to do."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agora.challenges.models import Submission
from agora.lab.models import JobPriority

logger = logging.getLogger(__name__)
Status = Submission.Status


def _checkpoint_file(submission: Submission) -> Path:
    """The entry's weights: the published model's file, else the run's own checkpoint (fetched
    from the bucket when the run trained on another machine)."""
    from agora.lab.execution import local_checkpoint, pull_run_state

    if submission.model_id is not None:
        return local_checkpoint(submission.model)
    run = submission.run
    path = run.out_dir / "model.safetensors"
    if not path.is_file():
        pull_run_state(run.id, run.out_dir)
    return path


def evaluate(*, submission_id: int) -> str:
    from agora.lab import lane
    from agora.lab.execution import _set_threads, training_config
    from genlab.challenge import TASKS, Protocol, regenerate_digest, score, weights_digest
    from genlab.checkpoint import load
    from genlab.errors import GenlabError
    from genlab.train import train
    from genlab.zoo import cpu_kind

    queued = Submission.objects.filter(pk=submission_id, status=Status.QUEUED)
    # A background entry (the demo's zoo entries) starts only while no member job waits.
    claimed = queued.filter(lane.may_start()).update(
        status=Status.RUNNING, claimed_at=timezone.now()
    )
    if not claimed:
        return "waiting" if queued.exists() else "not-claimed"
    submission = Submission.objects.select_related("challenge", "run", "model").get(
        pk=submission_id
    )
    challenge, run = submission.challenge, submission.run
    background = submission.priority == JobPriority.BACKGROUND
    task = TASKS[challenge.task]
    protocol = Protocol.from_dict(challenge.protocol)
    _set_threads(run.dataset)
    cpu_started = time.process_time()
    try:
        ckpt = load(_checkpoint_file(submission))
        if ckpt.sha256 != submission.checkpoint_sha256:
            return _refuse(submission, cpu_started, "the checkpoint is not the one the run made")
        scored = score(
            ckpt,
            task,
            protocol,
            sampler=submission.sampler or None,
            steps=submission.sampling_steps,
        )
        folder = rebuild_folder(submission_id)
        yielded = False
        try:
            # the run's exact config; a rebuild that yielded resumes from its checkpoint
            result = train(
                training_config(run),
                out_dir=folder,
                callbacks=[_YieldToMembers()] if background else [],
                resume=(folder / "state.pt").is_file(),
            )
            if yielded := result.status == "cancelled":
                return _yield(submission_id)
            rebuilt = load(result.checkpoint)
            made, again = weights_digest(ckpt), weights_digest(rebuilt)
            if made != again:
                return _refuse(
                    submission,
                    cpu_started,
                    f"the recipe did not reproduce: rebuilding gave weights {again[:12]}, "
                    f"the run made {made[:12]} (training is bit for bit only on the kind of CPU "
                    f"that trained it; this server is {cpu_kind()})",
                )
            digest = regenerate_digest(rebuilt, scored.recipe)
        finally:
            if not yielded:
                shutil.rmtree(folder, ignore_errors=True)
    except GenlabError as exc:
        return _refuse(submission, cpu_started, str(exc))
    except FileNotFoundError:
        return _refuse(submission, cpu_started, "the run's checkpoint is missing")
    except Exception as exc:
        logger.exception("evaluation of submission %s crashed", submission_id)
        return _refuse(submission, cpu_started, f"{type(exc).__name__}: {exc}")
    if digest != scored.samples_sha256:
        return _refuse(
            submission, cpu_started, "the samples drawn from the rebuilt checkpoint differ"
        )
    with transaction.atomic():
        Submission.objects.filter(pk=submission_id, status=Status.RUNNING).update(
            status=Status.SCORED,
            verified=True,
            metrics=scored.metrics,
            score=scored.metrics.get(challenge.metric),
            samples_sha256=scored.samples_sha256,
            recipe=scored.recipe.to_dict(),
            eval_seconds=time.process_time() - cpu_started,
            evaluated_at=timezone.now(),
        )
        _after(submission)
    return str(Status.SCORED)


def rebuild_folder(submission_id: int) -> Path:
    """Where an entry's rebuild trains: kept while a background rebuild waits to resume, removed
    once the entry is scored or refused."""
    return Path(settings.LAB_RUNS_DIR) / "rebuilds" / str(submission_id)


def _yield(submission_id: int) -> str:
    """A member job waits: this background evaluation goes back to the queue (its rebuild kept
    at the checkpoint it stopped at) and the sweep wakes it again once the lane is free."""
    Submission.objects.filter(pk=submission_id, status=Status.RUNNING).update(
        status=Status.QUEUED, claimed_at=None, woken_at=timezone.now()
    )
    logger.info("evaluation of submission %s yielded to a member's job", submission_id)
    return "yielded"


class _YieldToMembers:
    """genlab callback of a background rebuild: stop at a checkpoint when a member job waits."""

    def __init__(self) -> None:
        from agora.lab.lane import YieldCheck

        self.should_cancel = YieldCheck()

    def on_progress(self, progress) -> None:
        return None

    def on_samples(self, step: int, path: Path) -> None:
        return None

    def on_checkpoint(self, step: int, path: Path) -> None:
        return None


def _refuse(submission: Submission, cpu_started: float, reason: str) -> str:
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk, status=Status.RUNNING).update(
            status=Status.REFUSED,
            verified=False,
            refusal=reason[:2000],
            eval_seconds=time.process_time() - cpu_started,
            evaluated_at=timezone.now(),
        )
        _after(submission)
    return str(Status.REFUSED)


def _after(submission: Submission) -> None:
    from agora.challenges import notices
    from agora.challenges.hooks import submission_evaluated

    notices.entry_evaluated(submission)
    transaction.on_commit(lambda: submission_evaluated(submission.id))
