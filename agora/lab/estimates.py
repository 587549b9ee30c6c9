"""How long a preset will train on this server, from measured throughput.

Every completed run stores its training steps per second of wall time (`TrainingRun.steps_per_s`,
set by execution.execute_run). A preset's estimate is its number of steps divided by the average
of the measured rates of its family on its data set; one grouped query reads them all. Until a
family has finished a run on a data set, the CALIBRATION below stands in, and the page says so:

- images: diffusion on the 8x8 digits ran 1,500 steps in 26 minutes (about 1 step/s) and a VAE
  ran 3,000 steps in about 10 minutes (5 steps/s) on this server's two shared CPU cores (the
  reports in issue #17). A GAN updates two networks per step (half a VAE's rate); latent
  diffusion trains a VAE first and then diffusion on its small latents (a diffusion's rate).
  Larger images cost in proportion to their pixels (28x28 is 12x the 8x8 work; 32x32 is 16x).
- 2-D points: the demo's DDPM trains 300 steps in a few seconds; MLPs on points run about
  100 steps/s for every family.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count

from agora.lab.models import TrainingRun
from genlab.errors import ConfigError

PRESETS = ("quick", "quality")

# steps per second on 8x8 images, per family group
IMAGE_CALIBRATION = {"diffusion": 1.0, "latent": 1.0, "vae": 5.0, "gan": 2.5}
POINTS_CALIBRATION = 100.0
# families calibrated like their nearest kin: an autoencoder, a GAN, or diffusion on latents
GROUP = {
    "cgan": "gan",
    "wgan": "gan",
    "wgan-gp": "gan",
    "stylegan": "gan",
    "beta-vae": "vae",
    "vqvae": "vae",
    "latent-unet": "latent",
}


@dataclass
class Estimate:
    family: str
    family_label: str
    preset: str
    steps: int
    seconds: float
    measured_runs: int  # 0: from the calibration


def calibrated_rate(family: str, dataset: str) -> float:
    from genlab.data import TOYS, native_image_size

    if dataset in TOYS:
        return POINTS_CALIBRATION
    rate = IMAGE_CALIBRATION[GROUP.get(family, family)]
    side = native_image_size(dataset)
    return rate / ((side * side) / 64)


def measured_rates() -> dict[tuple[str, str], tuple[float, int]]:
    """(family, data set) -> (average steps/s, runs measured), from completed runs."""
    rows = (
        TrainingRun.objects.filter(status=TrainingRun.Status.COMPLETED, steps_per_s__gt=0)
        .values("family", "dataset")
        .annotate(rate=Avg("steps_per_s"), runs=Count("id"))
        .order_by()
    )
    return {(r["family"], r["dataset"]): (r["rate"], r["runs"]) for r in rows}


def preset_steps(family: str, dataset: str, preset: str) -> int:
    from genlab.config import resolve_config

    return resolve_config(family, dataset, preset).steps


def estimates_for(dataset: str, *, rates=None) -> list[Estimate]:
    """Every family's quick and quality presets on `dataset` (a built-in name or upload:<id>)."""
    from agora.lab.models import FAMILY_CHOICES, TEXT_FAMILIES
    from agora.lab.selectors import dataset_path

    rates = measured_rates() if rates is None else rates
    local = dataset_path(dataset) if dataset.startswith("upload:") else dataset
    found = []
    for family, label in FAMILY_CHOICES:
        if family in TEXT_FAMILIES:  # not calibrated here: text models train on text sets only
            continue
        try:
            steps_of = {preset: preset_steps(family, local, preset) for preset in PRESETS}
        except ConfigError:  # a family that does not learn this kind of data (images only, ...)
            continue
        measured, runs = rates.get((family, dataset), (0.0, 0))
        rate = measured or calibrated_rate(family, local)
        for preset, steps in steps_of.items():
            found.append(Estimate(family, str(label), preset, steps, steps / rate, runs))
    return found
