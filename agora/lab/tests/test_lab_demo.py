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


@pytest.fixture
def small_zoo(monkeypatch):
    """The zoo's smallest model only: sampling every zoo model's reference grid takes longer."""
    import genlab.zoo

    moons = genlab.zoo.get_model("moons-diffusion")
    monkeypatch.setattr(genlab.zoo, "list_models", lambda root=None: [moons])
    return moons


@pytest.mark.django_db
def test_demo_publishes_a_model_and_shares_its_work_and_run(alice, client, small_zoo):
    Category.objects.create(slug="image-generation", name="Image generation")
    demo.seed(out=io.StringIO())
    model = LabModel.objects.get(official=False, base=None)
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


@pytest.mark.django_db
def test_the_zoo_is_published_as_official_models_with_full_cards(
    alice, bob, client, small_zoo, django_capture_on_commit_callbacks
):
    from agora.lab.models import Generation

    out = io.StringIO()
    demo.seed(out=out)
    demo.seed(out=out)  # again: nothing published twice
    model = LabModel.objects.get(official=True)
    assert model.owner.username == "zoo" and model.owner.is_staff
    assert model.checkpoint_sha256 == small_zoo.weights_sha256
    assert model.run.status == "completed" and model.run.family == "diffusion"
    assert model.run.metrics == small_zoo.metrics and model.data_shape == [2]
    page = client.get(model.get_absolute_url()).content.decode()
    assert "Official" in page and "Agora model zoo" in page
    for shown in (
        small_zoo.recipe_sha256,  # recipe and hash
        small_zoo.weights_sha256,
        "CPU-minutes",
        "none needed (synthetic)",  # the data set's licence
        "mmd2",  # the metrics of genlab's evaluation
        "to held-out points",  # and their headline in words
        "python -m genlab zoo build moons-diffusion",
    ):
        assert shown in page, shown
    reference = Generation.objects.get(model=model)
    assert reference.status == "done" and reference.recipe["seed"] == small_zoo.reference["seed"]
    assert reference.get_absolute_url() in page
    # the site's pixels hash like the zoo card's reference: the card says so
    assert reference.images_sha256 == small_zoo.card["reference_sha256"]
    assert "and stored with them" in page  # the build's, not sampled at seed time

    # anyone who logs in reproduces it: this site samples the same pixels
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/lab/generations/{reference.id}/reproduce/")
    copy = Generation.objects.get(reproduces=reference)
    assert response["Location"] == copy.get_absolute_url()
    assert copy.verified is True
    assert "Identical" in client.get(copy.get_absolute_url()).content.decode()
    # and may fine-tune it; alice's demo did (the zoo model's tree shows it)
    page = client.get(model.get_absolute_url()).content.decode()
    assert "Fine-tune this model" in page
    assert "Fine-tunes: 1 model" in page and "Swiss roll (fine-tuned from moons)" in page


@pytest.mark.django_db
def test_publishing_the_zoo_samples_nothing_when_the_build_stored_the_references(
    monkeypatch, client
):
    """Every built zoo model is published with the reference output its build stored (hash
    checked against the card): no model is sampled, so seeding an empty site takes seconds."""
    import genlab.gpt
    import genlab.sample
    import genlab.zoo
    from agora.lab.models import Generation
    from agora.lab.services import zoo

    def no_sampling(*args, **kwargs):
        raise AssertionError("the zoo was sampled at publishing")

    monkeypatch.setattr(genlab.sample, "generate", no_sampling)
    monkeypatch.setattr(genlab.gpt, "generate_texts", no_sampling)
    entries = [m for m in genlab.zoo.list_models() if m.built]
    published = zoo.publish_zoo(out=io.StringIO())
    assert len(published) == len(entries)
    for entry, model in zip(entries, published, strict=True):
        reference = Generation.objects.get(model=model)
        assert (
            reference.status == "done" and reference.images_sha256 == entry.card["reference_sha256"]
        ), entry.name
        if entry.family == "gpt":
            assert reference.texts == entry.card["reference_texts"]
        else:
            assert len(reference.images) == (
                1 if entry.card["data_shape"] == [2] else entry.reference["count"]
            )
        assert "and stored with them" in client.get(model.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_zoo_reference_that_is_not_the_cards_is_sampled_instead(monkeypatch, client, small_zoo):
    import genlab.zoo
    from agora.lab.models import Generation
    from agora.lab.services import zoo

    monkeypatch.setattr(genlab.zoo, "stored_reference", lambda entry: None)
    (model,) = zoo.publish_zoo(out=io.StringIO())
    reference = Generation.objects.get(model=model)
    assert reference.images_sha256 == small_zoo.card["reference_sha256"]
    assert "generated by this site" in client.get(model.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_demo_members_share_zoo_works_from_the_stored_references_that_reproduce(
    alice, bob, client, monkeypatch, django_capture_on_commit_callbacks
):
    """The gallery shows works made by the zoo models (no sampling at seed time), each by a
    demo member under its own title, with the recipe that gives the same pixels again."""
    import genlab.gpt
    import genlab.sample
    import genlab.zoo
    from agora.conftest import make_member
    from agora.lab.models import Generation
    from agora.lab.services import zoo

    make_member("linxiao")
    entries = [genlab.zoo.get_model(name) for name in ("mnist5k-cgan", "mnist5k-vae")]
    monkeypatch.setattr(genlab.zoo, "list_models", lambda root=None: entries)
    real_generate = genlab.sample.generate

    def no_sampling(*args, **kwargs):
        raise AssertionError("the seed sampled a zoo model")

    monkeypatch.setattr(genlab.sample, "generate", no_sampling)
    monkeypatch.setattr(genlab.gpt, "generate_texts", no_sampling)
    out = io.StringIO()
    for _again in range(2):  # seed_demo runs on every start: nothing shared twice
        zoo.publish_zoo(out=out)
        demo._zoo_works(out=out)
    works = Work.objects.filter(model_name__in=[e.title for e in entries]).order_by("id")
    expected = [(u, t) for n, u, _c, t in demo.ZOO_WORKS if n in ("mnist5k-cgan", "mnist5k-vae")]
    if not demo.featured(entries[0].metrics):
        expected = [(u, t) for u, t in expected if u == "bob" and "VAE" in t]
    assert sorted((w.author.username, w.title) for w in works) == sorted(expected)
    assert len({w.title for w in works}) == len(works) >= 1
    for work in works:
        assert work.source == "lab" and work.dataset == "mnist5k" and not work.private
        with Image.open(work.thumbnail_small) as thumb:  # a digit, not a black square
            assert thumb.convert("L").getextrema()[1] > 128
    assert "A seven in one generator pass" in client.get("/gallery/").content.decode()

    # bob's generation behind his work carries the zoo's reference recipe: reproducing it
    # through the site samples the same pixels
    monkeypatch.setattr(genlab.sample, "generate", real_generate)
    shared = Generation.objects.filter(owner=bob).exclude(model__official=False)
    generation = shared.get(model__name=entries[1].title)
    assert generation.images_sha256 == entries[1].card["reference_sha256"]
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/lab/generations/{generation.id}/reproduce/")
    copy = Generation.objects.get(reproduces=generation)
    assert copy.verified is True
    assert "Identical" in client.get(copy.get_absolute_url()).content.decode()


def test_the_featured_bar_is_relative_to_what_the_classifier_scores_on_real_images() -> None:
    from agora.lab import demo

    # emoji32: the classifier itself gets 69 % of real held-out emoji right
    assert demo.featured({"class_accuracy": 0.717, "classifier_val_accuracy": 0.693})
    assert not demo.featured({"class_accuracy": 0.40, "classifier_val_accuracy": 0.693})
    # mnist5k: 99.3 % on real digits, so smudges at 60 % stay out
    assert demo.featured({"class_accuracy": 0.983, "classifier_val_accuracy": 0.993})
    assert not demo.featured({"class_accuracy": 0.60, "classifier_val_accuracy": 0.993})
    # a card without the classifier's own accuracy is held to the absolute 80 %
    assert not demo.featured({"class_accuracy": 0.75})
    assert not demo.featured({})
