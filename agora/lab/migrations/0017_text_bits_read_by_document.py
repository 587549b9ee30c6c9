"""Text runs measured again: until 2026-12-04 a gpt run's validation bits per character were
read in windows cut anywhere in the held-out stream, while the model (align_documents) learns
the line and column of a poem from positions counted from its start, so a poem model was
scored about 4 bits per character worse than it is (the zoo's tang-gpt: 10.24 against 6.20).
Each completed member run whose checkpoint is on this machine is measured again as
genlab.gpt.bits_per_char now reads it; a run whose checkpoint or data is gone keeps its number.
The zoo's runs take their cards' new numbers when the site starts (agora.lab.services.zoo)."""

from pathlib import Path

from django.conf import settings
from django.db import migrations


def measure_again(apps, schema_editor):
    TrainingRun = apps.get_model("lab", "TrainingRun")
    runs = TrainingRun.objects.filter(family="gpt", status="completed", zoo_name="")
    pending = [r for r in runs.only("id", "metrics") if "val_bits_per_char" in (r.metrics or {})]
    if not pending:
        return
    from genlab.errors import GenlabError
    from genlab.gpt import heldout_bits_per_char

    for run in pending:
        path = Path(settings.LAB_RUNS_DIR) / str(run.id) / "model.safetensors"
        if not path.is_file():
            continue
        try:
            bits = heldout_bits_per_char(path)
        except (GenlabError, OSError, ValueError, KeyError) as exc:
            print(f"  run {run.id}: not measured again ({exc})")
            continue
        TrainingRun.objects.filter(pk=run.pk).update(metrics={**run.metrics, **bits})


class Migration(migrations.Migration):
    dependencies = [
        ("lab", "0016_created_at_at_creation"),
    ]

    operations = [migrations.RunPython(measure_again, migrations.RunPython.noop, elidable=True)]
