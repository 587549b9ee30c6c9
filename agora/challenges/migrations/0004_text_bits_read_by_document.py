"""Text entries measured again (see lab 0017): the bits per character of the sealed poems are
read poem by poem from each separator, as the models are trained. Every scored entry of a
challenge that is still open takes the new number (and its score, when that is the ranking
metric), so old and new entries rank on one measure. A frozen challenge keeps the results it
announced; an entry whose weights are gone from this machine keeps its number."""

from pathlib import Path

from django.conf import settings
from django.db import migrations


def measure_again(apps, schema_editor):
    from genlab.tasks import TASKS

    text_tasks = [name for name, task in TASKS.items() if task.kind == "text"]
    Submission = apps.get_model("challenges", "Submission")
    entries = Submission.objects.filter(
        status="scored", challenge__task__in=text_tasks, challenge__frozen_at__isnull=True
    ).select_related("challenge", "model")
    if not entries.exists():
        return
    from genlab.challenge import sealed_bits_per_char
    from genlab.checkpoint import load
    from genlab.errors import GenlabError

    for entry in entries:
        path = Path(settings.LAB_RUNS_DIR) / str(entry.run_id) / "model.safetensors"
        if entry.model is not None and not settings.S3_BUCKET:
            path = Path(entry.model.checkpoint.path)
        if not path.is_file():
            continue
        try:
            bits = sealed_bits_per_char(load(path))
        except (GenlabError, OSError, ValueError, KeyError) as exc:
            print(f"  entry {entry.id}: not measured again ({exc})")
            continue
        metrics = {**entry.metrics, "bits_per_char": bits}
        score = bits if entry.challenge.metric == "bits_per_char" else entry.score
        Submission.objects.filter(pk=entry.pk).update(metrics=metrics, score=score)


class Migration(migrations.Migration):
    dependencies = [
        ("challenges", "0003_job_priority"),
        ("lab", "0017_text_bits_read_by_document"),
    ]

    operations = [migrations.RunPython(measure_again, migrations.RunPython.noop, elidable=True)]
