"""The lab's demo content: a published model, a lab work in the gallery, the run in the forum."""

import io

import pytest
from PIL import Image

from agora.forum.models import Category, Topic
from agora.gallery.models import Work
from agora.lab import demo
from agora.lab.models import LabModel


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


@pytest.mark.django_db
def test_demo_publishes_a_model_and_shares_its_work_and_run(alice, client):
    Category.objects.create(slug="image-generation", name="Image generation")
    demo.seed(out=io.StringIO())
    model = LabModel.objects.get()
    assert model.topic is not None
    made = sorted((g.recipe["eta"], g.status) for g in model.generations.all())
    assert made == [(0.0, "done"), (1.0, "done")]  # deterministic DDIM beside eta 1
    works = Work.objects.filter(dataset="moons")
    assert {w.source for w in works} == {"lab"} and len({w.title for w in works}) == 2
    for work in works:  # a visible point cloud, not a blank tile
        with Image.open(work.thumbnail_small) as thumb:
            dark = sum(1 for v in thumb.convert("L").tobytes() if v < 160)
        assert dark > 0.05 * thumb.width * thumb.height
    shared = Topic.objects.get(title="My first lab run: moons in 300 steps")
    assert "| Data set | moons |" in shared.posts.first().raw
    assert "Moons DDPM" in client.get("/learn/resources/?kind=model").content.decode()
    assert "Two moons from noise" in client.get("/gallery/?dataset=moons").content.decode()
