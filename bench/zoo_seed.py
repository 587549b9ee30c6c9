"""Publishing the model zoo at seed time: the reference output each zoo build stored (its hash
checked against the card, no sampling) against sampling every reference with the lab's worker
code (what `seed_demo` did before). Both publish the same built zoo models as official models
into a throw-away SQLite database and var/ folder, one after the other in this process; CPU
time is the process's (training is not involved either way). Ends with `bench: zoo seed ...`.

    nice -n 10 python bench/zoo_seed.py                  # every built zoo model
    nice -n 10 python bench/zoo_seed.py --models moons-diffusion,mnist5k-latent
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="", help="comma-separated zoo names (default: all)")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-zoo-seed-"))
    os.environ.update(
        {
            "AGORA_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'agora.sqlite3'}",
            "AGORA_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "agora.settings",
        }
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    import genlab.zoo
    from agora.lab.models import Generation, LabModel, TrainingRun
    from agora.lab.services import zoo

    call_command("migrate", verbosity=0)
    wanted = [n for n in args.models.split(",") if n]
    entries = [m for m in genlab.zoo.list_models() if m.built and (not wanted or m.name in wanted)]
    genlab.zoo.list_models = lambda root=None: entries  # publish_zoo's view of the zoo

    def publish(sample: bool) -> tuple[float, float, str]:
        LabModel.objects.filter(official=True).delete()
        TrainingRun.objects.filter(owner__username=zoo.ZOO_USERNAME).delete()
        out = io.StringIO()
        wall, cpu = time.perf_counter(), time.process_time()
        models = zoo.publish_zoo(out=out, sample=sample)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert len(models) == len(entries), out.getvalue()
        done = Generation.objects.filter(model__in=models, status="done").count()
        assert done == len(entries), f"{done} of {len(entries)} references done"
        return wall, cpu, out.getvalue()

    load_before = os.getloadavg()
    stored_wall, stored_cpu, stored_log = publish(sample=False)
    sampled_wall, sampled_cpu, sampled_log = publish(sample=True)
    print(stored_log.replace("Published", "\n  stored:  Published"))
    print(sampled_log.replace("Published", "\n  sampled: Published"))
    load = os.getloadavg()
    print(
        f"bench: zoo seed {len(entries)} models: stored references {stored_cpu:.1f} CPU-s "
        f"({stored_wall:.1f} s wall) vs sampling them {sampled_cpu:.1f} CPU-s "
        f"({sampled_wall:.1f} s wall): {sampled_cpu / max(stored_cpu, 1e-9):.1f}x less CPU; load "
        f"{load_before[0]:.1f} -> {load[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
