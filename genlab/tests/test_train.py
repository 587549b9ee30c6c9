"""Short trainings on 2-D toys for every family; resume, cancel and divergence."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from genlab.config import resolve_config
from genlab.errors import ConfigError, TrainingDiverged
from genlab.train import Callback, Progress, train

# (family alias, steps, options, MMD^2 threshold). On moons an untrained GAN scores 2-4, a
# standard Gaussian ~0.15, held-out real data ~0. Numbers differ between kinds of CPU (see
# genlab.zoo.cpu_kind), so each family trains to well under its threshold: the cGAN was under
# 0.12 at 900 steps on an AMD AVX2 machine but 0.17 on an Intel AVX-512 one, 0.079 at 1,200 and
# 0.039 at 1,500 (2026-12-03).
FAMILIES = [
    ("gan", 900, {"batch_size": 128}, 0.1),
    ("cgan", 1500, {"batch_size": 128}, 0.12),
    ("wgan-gp", 300, {"batch_size": 256}, 0.5),
    ("vae", 500, {}, 0.11),
    ("diffusion", 400, {"T": 200}, 0.1),
    ("diffusion", 400, {"T": 200, "prediction": "v"}, 0.1),  # v-prediction, sampled as eps
    ("latent", 300, {"vae_steps": 300, "T": 200}, 0.12),
]


@pytest.mark.parametrize(("family", "steps", "opts", "threshold"), FAMILIES)
def test_short_training_on_moons_lowers_mmd(
    family: str, steps: int, opts: dict, threshold: float, tmp_path: Path
) -> None:
    cfg = resolve_config(family, "moons", steps=steps, **opts)
    result = train(cfg, out_dir=tmp_path)
    assert result.status == "completed"
    assert result.metrics["mmd2"] < threshold, result.metrics


def test_untrained_generator_is_far_from_the_data(tmp_path: Path) -> None:
    result = train(resolve_config("gan", "moons", steps=1), out_dir=tmp_path)
    assert result.metrics["mmd2"] > 1.0


class Recorder(Callback):
    def __init__(self, cancel_at: int | None = None) -> None:
        self.events: list[tuple[str, int]] = []
        self.cancel_at = cancel_at
        self.last: Progress | None = None

    def on_progress(self, progress: Progress) -> None:
        self.events.append(("progress", progress.step))
        self.last = progress

    def on_samples(self, step: int, path: Path) -> None:
        assert path.is_file()
        self.events.append(("samples", step))

    def on_checkpoint(self, step: int, path: Path) -> None:
        self.events.append(("checkpoint", step))

    def should_cancel(self) -> bool:
        return (
            self.cancel_at is not None
            and self.last is not None
            and (self.last.step >= self.cancel_at)
        )


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_file(path / "model.safetensors")


@pytest.mark.parametrize("family", ["diffusion", "gan"])
def test_resume_continues_the_same_run_bit_for_bit(family: str, tmp_path: Path) -> None:
    opts = {"T": 100} if family == "diffusion" else {}
    full = train(resolve_config(family, "moons", steps=40, **opts), out_dir=tmp_path / "a")
    train(resolve_config(family, "moons", steps=20, **opts), out_dir=tmp_path / "b")
    resumed = train(
        resolve_config(family, "moons", steps=40, **opts), out_dir=tmp_path / "b", resume=True
    )
    assert resumed.step == full.step == 40
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_callbacks_progress_grids_checkpoints_and_cancel(tmp_path: Path) -> None:
    cfg = resolve_config(
        "diffusion", "moons", steps=60, T=100, log_every=5, sample_every=20, checkpoint_every=10
    )
    rec = Recorder(cancel_at=30)
    result = train(cfg, out_dir=tmp_path, callbacks=[rec])
    assert result.status == "cancelled" and result.step == 30
    assert ("samples", 20) in rec.events and ("checkpoint", 10) in rec.events
    assert rec.last is not None and rec.last.images_per_s > 0 and rec.last.eta_s > 0
    assert (tmp_path / "samples" / "step_000020.png").is_file()
    done = train(None, out_dir=tmp_path, resume=True)
    assert done.status == "completed" and done.step == 60


def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genlab.diffusion_family import DiffusionFamily

    real_step = DiffusionFamily.train_step

    def failing_step(self, data, gen, step):  # inject a fault after 15 good steps
        losses = real_step(self, data, gen, step)
        return {"loss": float("nan")} if step >= 15 else losses

    monkeypatch.setattr(DiffusionFamily, "train_step", failing_step)
    cfg = resolve_config("diffusion", "moons", steps=50, T=100, checkpoint_every=10)
    with pytest.raises(TrainingDiverged, match=r"step 16: loss = nan .*kept"):
        train(cfg, out_dir=tmp_path)
    from genlab.checkpoint import load

    assert load(tmp_path / "model.safetensors").meta["steps"] == 10


def test_conditional_training_on_unlabelled_data_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no labels"):
        train(resolve_config("cgan", "swissroll", steps=5), out_dir=tmp_path)
    assert not (tmp_path / "model.safetensors").exists()


def test_unknown_family_and_option_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown family 'flow'"):
        resolve_config("flow", "moons")
    with pytest.raises(ConfigError, match="unknown config option"):
        resolve_config("gan", "moons", wings=2)
