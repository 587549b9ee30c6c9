"""How long a preset will take on this server, from measured throughput.

Every completed run stores its training steps per second of wall time (`TrainingRun.steps_per_s`,
set by execution.execute_run: all its steps, both stages of a two-stage family, over its wall
time). A preset's estimate is its number of steps divided by the average of the measured rates of
its family on its data set; one grouped query reads them all. Until a family has finished a run
on a data set, the calibration table stands in, and the page marks it with `*`:

- `calibration.json`, written by `bench/lab.py --calibrate` on this server (date, machine, load
  average in the file): genlab's training step timed per family, data set and preset on one
  thread, each stage of a two-stage family apart, with its sample grids; uploads (trained at
  32x32) read the emoji32 column. When the site trains images on more threads
  (AGORA_LAB_TORCH_THREADS), the bench's measured factor for that thread count applies (on a
  loaded two-core machine two threads were far slower than one).
- a family the table does not hold yet falls back to the rule of thumb below (issue #17's
  reports: diffusion on the 8x8 digits about 1 step/s, a VAE 5, a GAN half a VAE; larger
  images in proportion to their pixels; MLPs on 2-D points about 100 steps/s).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Avg, Count

from agora.lab.models import TrainingRun
from genlab.errors import ConfigError

PRESETS = ("quick", "quality")
CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
UPLOAD_COLUMN = "emoji32"  # uploads train at 32x32, like this built-in set

# the fallback rule: steps per second on 8x8 images, per family group
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


@functools.cache
def calibration() -> dict:
    """The bench's table (bench/lab.py --calibrate); {} when there is none."""
    try:
        return json.loads(CALIBRATION_FILE.read_text())
    except (OSError, ValueError):
        return {}


@dataclass
class Estimate:
    family: str
    family_label: str
    preset: str
    steps: int
    seconds: float
    measured_runs: int  # 0: from the calibration


def calibrated_rate(family: str, dataset: str, preset: str = "quick") -> float:
    """Steps per second (all of a run's steps) from the bench's table, else the fallback rule."""
    from genlab.data import TOYS, native_image_size

    table = calibration()
    column = dataset if dataset in table.get("rates", {}).get(family, {}) else UPLOAD_COLUMN
    if dataset in TOYS and column != dataset:
        column = ""  # a point set the table lacks: never an image column
    entry = table.get("rates", {}).get(family, {}).get(column, {}).get(preset)
    if entry and entry.get("steps_per_s", 0) > 0:
        rate = float(entry["steps_per_s"])
        threads = settings.LAB_TORCH_THREADS
        if dataset not in TOYS and threads > 1 and threads == table.get("image_threads"):
            rate *= float(table.get("image_thread_factor", 1.0))
        return rate
    if dataset in TOYS:
        return POINTS_CALIBRATION
    rate = IMAGE_CALIBRATION[GROUP.get(family, family)]
    side = native_image_size(dataset)
    return rate / ((side * side) / 64)


def calibration_note() -> dict:
    """When and under what load the table was measured, for the page's footnote."""
    table = calibration()
    load = table.get("load_average_before") or [0.0]
    return {
        "measured_at": table.get("measured_at", ""),
        "load": f"{load[0]:.1f}",
        "loaded": bool(table.get("loaded")),
    }


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
    """All the steps a run of this preset trains: a two-stage family's first stage too."""
    from genlab.config import TWO_STAGE_FAMILIES, resolve_config

    cfg = resolve_config(family, dataset, preset)
    return cfg.steps + (cfg.vae_steps if cfg.family in TWO_STAGE_FAMILIES else 0)


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
        for preset, steps in steps_of.items():
            rate = measured or calibrated_rate(family, local, preset)
            found.append(Estimate(family, str(label), preset, steps, steps / rate, runs))
    return found
