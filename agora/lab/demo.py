"""The lab's demo: the model zoo's base models published as official models (their weights are
committed, so nothing is trained: each gets its reference samples), members' gallery works cut
from those stored reference samples (nothing sampled), and a tiny diffusion model on the 2-D
`moons` data trained right here (a few seconds on the CPU), published with a card and one
generation anyone can reproduce."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from agora.accounts.models import User
from agora.lab import execution
from agora.lab.models import TrainingRun
from agora.lab.services import generations, publishing, runs, sharing, zoo

# Gallery works made with the zoo's models: (zoo model, member, class asked for or None for the
# first image, title). Each is one image of the model's stored reference samples, shared by a
# member whose generation carries the reference recipe, so Reproduce gives the same pixels.
ZOO_WORKS = [
    ("mnist5k-diffusion", "alice", 3, "A 3 out of noise in 50 DDIM steps"),
    ("mnist5k-latent", "alice", 8, "An 8 decoded from a 16-number latent"),
    ("mnist5k-cgan", "bob", 7, "A seven in one generator pass"),
    ("mnist5k-vae", "bob", None, "First try with the zoo VAE: soft strokes"),
    ("mnist5k-cgan", "linxiao", 4, "条件 GAN 写的数字 4"),
    ("emoji32-diffusion", "chenwei", 0, "扩散模型画的笑脸表情"),
    ("emoji32-latent", "linxiao", 3, "潜空间扩散：一份食物表情"),
]
# A model asked for a class is featured only when its card's evaluation found at least this
# share of its samples classified as the class asked for (no smudges under a digit's name),
# relative to what the evaluation classifier scores on real held-out images: 99.1 % on mnist5k
# (so about 79 % there), 69.0 % on emoji32, whose nine Unicode categories it cannot tell apart
# much better (docs/benchmarks.md, "The evaluation classifier").
FEATURED_CLASS_ACCURACY = 0.8


def featured(metrics: dict) -> bool:
    """Whether a zoo card's class accuracy clears the bar (cards from before the classifier's
    own accuracy was recorded are held to the absolute 80 %)."""
    ceiling = metrics.get("classifier_val_accuracy", 1.0) or 1.0
    return metrics.get("class_accuracy", 0) >= FEATURED_CLASS_ACCURACY * ceiling


def seed(*, out) -> None:
    zoo.publish_zoo(out=out)
    _zoo_works(out=out)
    if TrainingRun.objects.exclude(owner__username=zoo.ZOO_USERNAME).exists():
        return
    alice = User.objects.filter(username="alice").first()
    if alice is None:
        return
    run = TrainingRun.objects.create(
        owner=alice,
        title="Moons DDPM (demo)",
        family="diffusion",
        dataset="moons",
        preset="quick",
        steps=300,
        seed=1,
        total_steps=300,
        settings=runs.validate_run(
            user=alice, family="diffusion", dataset="moons", preset="quick", steps=300, seed=1
        ),
    )
    status = execution.execute_run(run_id=run.id, worker="seed_demo")
    if status != TrainingRun.Status.COMPLETED:
        out.write(f"Demo training ended as {status}; the lab starts without a demo model.")
        return
    run.refresh_from_db()
    model = publishing.publish_model(
        user=alice,
        run=run,
        name="Moons DDPM",
        licence="mit",
        private=False,
        card="A 2-D DDPM trained for 300 steps on two interleaved half circles. "
        "Try DDIM with 20 steps (eta 0 is deterministic, eta 1 adds fresh noise at every "
        "step), then **Reproduce and verify**.",
    )
    generation = generations.request_generation(
        user=alice,
        model=model,
        sampler="ddim",
        steps=20,
        guidance=0.0,
        eta=0.0,  # deterministic DDIM (left out, the measured default eta 1 would apply)
        seed=7,
        labels=None,
        count=1000,  # a point cloud: 16 points would be a blank tile
    )
    execution.execute_generation(generation_id=generation.id)
    generation.refresh_from_db()
    # the same seed with DDIM eta 1 (fresh noise at every step) beside the deterministic one
    stochastic = generations.request_generation(
        user=alice,
        model=model,
        sampler="ddim",
        steps=20,
        guidance=0.0,
        eta=1.0,
        seed=7,
        labels=None,
        count=1000,  # a point cloud: 16 points would be a blank tile
    )
    execution.execute_generation(generation_id=stochastic.id)
    stochastic.refresh_from_db()
    # Both in the gallery (found by the data set filter, each recipe reproduces) and the run in
    # the forum.
    sharing.share_to_gallery(
        user=alice, generation=generation, index=0, title="Two moons from noise, DDIM η=0"
    )
    sharing.share_to_gallery(
        user=alice, generation=stochastic, index=0, title="Two moons with fresh noise, DDIM η=1"
    )
    from agora.forum.services import open_discussion

    open_discussion(
        author=alice,
        category_slug="image-generation",
        title="My first lab run: moons in 300 steps",
        raw=sharing.run_card_markdown(run),
    )
    out.write("Trained and published the demo lab model.")
    _fine_tune_demo(alice=alice, out=out)
    _poem_demo(alice=alice, out=out)


def _fine_tune_demo(*, alice, out) -> None:
    """alice fine-tunes the zoo's moons model on the swiss roll (a few seconds), so the zoo
    model's page shows a model tree with one fine-tune."""
    from agora.lab.models import LabModel

    base = LabModel.objects.filter(official=True, run__dataset="moons", superseded_by=None).first()
    if base is None:
        return
    run = runs.create_run(
        owner=alice,
        title="Swiss roll, fine-tuned from the zoo's moons",
        family=base.run.family,
        dataset="swissroll",
        preset="quick",
        steps=200,
        seed=1,
        base_model=base,
    )
    status = execution.execute_run(run_id=run.id, worker="seed_demo")
    if status != TrainingRun.Status.COMPLETED:
        out.write(f"Demo fine-tune ended as {status}; the zoo model has no fine-tune.")
        return
    run.refresh_from_db()
    publishing.publish_model(
        user=alice,
        run=run,
        name="Swiss roll (fine-tuned from moons)",
        licence="mit",
        private=False,
        card="200 steps from the zoo's moons DDPM instead of 3,000 from scratch.",
    )
    out.write("Fine-tuned the zoo's moons model on the swiss roll.")


def _poem_demo(*, alice, out) -> None:
    """With a text model in the zoo: an acrostic poem by alice, shared to the forum."""
    from agora.forum.services import open_discussion
    from agora.lab.models import Generation, LabModel
    from agora.lab.services import texts

    poet = LabModel.objects.filter(official=True, run__family="gpt", superseded_by=None).first()
    if poet is None:
        return
    forms = list(poet.text_spec.get("forms") or {})
    form = "qiyan-jueju" if "qiyan-jueju" in forms else (forms[0] if forms else "")
    try:
        generation = texts.request_text_generation(
            user=alice,
            model=poet,
            form=form,
            acrostic="春江花月" if form else "",
            temperature=0.8,
            top_k=0,
            top_p=1.0,
            seed=7,
            length=64,
            count=2,
        )
    except ValidationError as exc:  # a vocabulary without these characters: the demo goes on
        out.write(f"Demo poem not written: {' '.join(exc.messages)}")
        return
    execution.execute_generation(generation_id=generation.id)
    generation.refresh_from_db()
    if generation.status != Generation.Status.DONE:
        return
    open_discussion(
        author=alice,
        category_slug="text-generation",
        title=f"{poet.name}: 藏头诗 春江花月",
        raw=sharing.text_card_markdown(generation),
    )
    out.write("Wrote and shared a demo poem.")


def _zoo_works(*, out) -> None:
    """Members' gallery works from the zoo models' stored reference samples: no sampling, so
    seeding stays cheap; works already there, models not built or not good enough at the class
    asked for (its card's class accuracy), and near-blank images are left out."""
    import time

    import numpy as np

    from agora.gallery.models import Work
    from agora.lab.models import LabModel
    from genlab import zoo as genlab_zoo

    entries = {entry.name: entry for entry in genlab_zoo.list_models() if entry.built}
    members = {u.username: u for u in User.objects.filter(username__in=[w[1] for w in ZOO_WORKS])}
    done = set(Work.objects.filter(source="lab").values_list("author__username", "title"))
    made, outputs, started = 0, {}, time.process_time()
    for name, username, label, title in ZOO_WORKS:
        entry, member = entries.get(name), members.get(username)
        if entry is None or member is None or (username, title) in done:
            continue
        if label is not None and not featured(entry.metrics):
            continue
        model = LabModel.objects.filter(official=True, checkpoint_sha256=entry.weights_sha256)
        model = model.first()
        if model is None:
            continue
        if name not in outputs:
            outputs[name] = genlab_zoo.stored_reference(entry)  # None: not the card's hash
        images = outputs[name]
        if images is None or entry.family == "gpt" or len(entry.card.get("data_shape", [])) != 3:
            continue
        labels = entry.reference.get("labels") or []
        picks = [i for i in range(len(images)) if label is None or labels[i % len(labels)] == label]
        picks = [i for i in picks if float(np.asarray(images[i]).std()) > 12]  # not a blank tile
        if not picks:
            continue
        generation = zoo.stored_reference_generation(
            model=model, entry=entry, owner=member, output=images
        )
        sharing.share_to_gallery(user=member, generation=generation, index=picks[0], title=title)
        made += 1
    if made:
        out.write(
            f"Shared {made} gallery works from the zoo models' stored reference samples "
            f"({time.process_time() - started:.2f} CPU-s)."
        )
