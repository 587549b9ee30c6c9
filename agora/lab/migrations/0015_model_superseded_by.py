import django.db.models.deletion
from django.db import migrations, models


def newest_version_wins(apps, schema_editor):
    """A site that published a zoo entry twice (its weights were rebuilt between two starts)
    keeps both, the older pointing at the newest, so the lists show each zoo model once."""
    LabModel = apps.get_model("lab", "LabModel")
    newest = {}
    for model in LabModel.objects.filter(official=True).exclude(zoo_name="").order_by("id"):
        newest[model.zoo_name] = model.id
    for name, latest in newest.items():
        LabModel.objects.filter(official=True, zoo_name=name).exclude(pk=latest).update(
            superseded_by_id=latest
        )


class Migration(migrations.Migration):
    dependencies = [
        ("lab", "0014_run_zoo_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="labmodel",
            name="superseded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="earlier_versions",
                to="lab.labmodel",
            ),
        ),
        migrations.RunPython(newest_version_wins, migrations.RunPython.noop),
    ]
