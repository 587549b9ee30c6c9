"""The worker keeps loaded checkpoints: a model's next generation skips reading and hashing its
file, gives the same pixels, and a checkpoint file that changed is loaded (and checked) again."""

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from agora.lab import checkpoints, execution
from agora.lab.models import Generation, TrainingRun
from agora.lab.services import generations, publishing


@pytest.fixture(scope="module")
def tiny_checkpoints(tmp_path_factory) -> list[Path]:
    """Two tiny class-conditional diffusion models on 8x8 digits (quality irrelevant)."""
    from genlab.config import resolve_config
    from genlab.train import train

    made = []
    for seed in (0, 1):
        cfg = resolve_config(
            "diffusion", "digits", size=8, steps=2, base=8, T=20, batch_size=8, seed=seed
        )
        out = tmp_path_factory.mktemp(f"tiny-digits-{seed}")
        made.append(Path(train(cfg, out_dir=out).checkpoint))
    return made


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"
    checkpoints.cache().clear()
    yield
    checkpoints.cache().clear()


def publish(owner, checkpoint: Path, name: str = "Tiny digits"):
    """A completed run whose checkpoint is `checkpoint`, published as a model."""
    from genlab.checkpoint import load

    loaded = load(checkpoint)
    run = TrainingRun.objects.create(
        owner=owner,
        title=name,
        family="diffusion",
        dataset="digits",
        steps=2,
        settings=loaded.config.to_dict(),
        status="completed",
        step=2,
        checkpoint_sha256=loaded.sha256,
    )
    run.out_dir.mkdir(parents=True)
    shutil.copyfile(checkpoint, run.out_dir / "model.safetensors")
    return publishing.publish_model(
        user=owner, run=run, name=name, card="", licence="mit", private=True
    )


def generate(owner, model, *, seed: int = 5, count: int = 4) -> Generation:
    generation = generations.request_generation(
        user=owner,
        model=model,
        sampler="ddim",
        steps=4,
        guidance=0.0,
        seed=seed,
        labels=[3],
        count=count,
    )
    execution.execute_generation(generation_id=generation.id)
    generation.refresh_from_db()
    return generation


@pytest.mark.django_db
def test_second_generation_uses_the_loaded_model_and_stores_every_image_with_its_recipe(
    alice, tiny_checkpoints, settings
):
    from genlab.checkpoint import load
    from genlab.recipe import Recipe
    from genlab.sample import generate as genlab_generate
    from genlab.sample import images_sha256

    model = publish(alice, tiny_checkpoints[0])
    cache = checkpoints.cache()
    first = generate(alice, model)
    assert first.status == "done" and cache.loads == 1 and cache.hits == 0
    again = generate(alice, model)
    assert again.status == "done" and cache.loads == 1 and cache.hits == 1
    assert again.images_sha256 == first.images_sha256  # bit-identical from the kept model

    # genlab on a freshly read checkpoint makes the same pixels
    recipe = Recipe.from_json(json.dumps(again.recipe))
    assert images_sha256(genlab_generate(recipe, load(model.checkpoint.path))) == (
        again.images_sha256
    )
    # every image is stored, each carrying the recipe
    assert [image["name"] for image in again.images] == ["00.png", "01.png", "02.png", "03.png"]
    folder = Path(settings.MEDIA_ROOT) / "lab" / "generations" / str(again.id)
    for index, image in enumerate(again.images):
        assert image["url"].endswith(f"/lab/generations/{again.id}/{image['name']}")
        with Image.open(folder / image["name"]) as png:
            assert json.loads(png.text["agora-recipe"]) == again.recipe
            assert f"Image index: {index}" in png.text["parameters"]
            assert f"Seed: {recipe.seed}" in png.text["parameters"]


@pytest.mark.django_db
def test_a_replaced_checkpoint_file_is_loaded_again_and_refused_when_its_hash_changed(
    alice, tiny_checkpoints
):
    model = publish(alice, tiny_checkpoints[0])
    first = generate(alice, model)
    cache = checkpoints.cache()
    assert model.checkpoint_sha256 in cache

    # The same bytes written again (a restore from backup): loaded and hashed again, still fine.
    path = Path(model.checkpoint.path)
    shutil.copyfile(tiny_checkpoints[0], path.with_suffix(".new"))
    path.with_suffix(".new").replace(path)
    restored = generate(alice, model)
    assert restored.status == "done" and cache.loads == 2
    assert restored.images_sha256 == first.images_sha256

    # Other weights under the model's file: the kept network is not used, the job fails clearly.
    shutil.copyfile(tiny_checkpoints[1], path.with_suffix(".new"))
    path.with_suffix(".new").replace(path)
    swapped = generate(alice, model)
    assert swapped.status == "failed" and cache.loads == 3
    assert "changed after publishing" in swapped.error
    assert swapped.images == [] and swapped.images_sha256 == ""
    assert model.checkpoint_sha256 not in cache


@pytest.mark.django_db
def test_the_cache_keeps_the_most_recently_used_models(alice, tiny_checkpoints, settings):
    settings.LAB_MODEL_CACHE_SIZE = 1
    first = publish(alice, tiny_checkpoints[0], name="First")
    second = publish(alice, tiny_checkpoints[1], name="Second")
    generate(alice, first)
    generate(alice, second)
    cache = checkpoints.cache()
    assert len(cache) == 1 and second.checkpoint_sha256 in cache
    generate(alice, first)  # evicted: read again
    assert cache.loads == 3 and first.checkpoint_sha256 in cache

    settings.LAB_MODEL_CACHE_SIZE = 0
    assert generate(alice, first).status == "done"
    assert generate(alice, first).status == "done"
    assert checkpoints.cache().loads == 2 and len(checkpoints.cache()) == 0
