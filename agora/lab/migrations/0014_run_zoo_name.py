import re

from django.db import migrations, models

BUILT = re.compile(r"zoo build (\S+?);")


def zoo_runs_by_name(apps, schema_editor):
    """Runs the zoo account built before: their zoo name from their official model, else from
    their log (as 0012 did for the models), so their pages speak the reader's language."""
    TrainingRun = apps.get_model("lab", "TrainingRun")
    LabModel = apps.get_model("lab", "LabModel")
    for model in LabModel.objects.filter(official=True).select_related("run"):
        name = model.zoo_name or ((m := BUILT.search(model.run.log)) and m[1]) or ""
        if name:
            TrainingRun.objects.filter(pk=model.run_id).update(zoo_name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("lab", "0013_run_freeze_blocks_lr"),
    ]

    operations = [
        migrations.AddField(
            model_name="trainingrun",
            name="zoo_name",
            field=models.CharField(blank=True, max_length=60),
        ),
        migrations.RunPython(zoo_runs_by_name, migrations.RunPython.noop),
    ]
