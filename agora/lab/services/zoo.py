"""Publishing genlab's model zoo (genlab/zoo/) as the site's official models: one completed run and
one model per built zoo entry, owned by the zoo's account, with a card that states the data set
and its licence, the recipe and hashes, the CPU-minutes to train and the metrics genlab's
evaluation measured; and the reference generation, sampled by the lab's own worker from the
committed weights, which anyone can reproduce."""

from __future__ import annotations

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import translation

from agora.accounts.models import ZOO_BIO, ZOO_NAME, User
from agora.core.markdown import render
from agora.lab.models import Generation, LabModel, TrainingRun
from agora.lab.zoo_cards import card_markdown, reference_note

ZOO_USERNAME = "zoo"  # agora.accounts.models.SITE_ACCOUNT_WORDS speaks for it


def zoo_account() -> User:
    """The account the official models belong to: staff, no password (nobody logs in as it)."""
    account = User.objects.filter(username=ZOO_USERNAME).first()
    if account is None:
        account = User(
            username=ZOO_USERNAME,
            email="zoo@agora.invalid",
            display_name=ZOO_NAME,
            bio=ZOO_BIO,
            is_staff=True,
        )
        account.set_unusable_password()
        account.full_clean()
        account.save()
    return account


def site_family(config: dict) -> str:
    """The lab's family name (FAMILY_CHOICES) of a genlab config: its aliases come back."""
    family = config["family"]
    if family == "gan":
        loss = config.get("loss", "nonsaturating")
        if loss in ("wgan-gp", "wgan"):
            return loss
        return "cgan" if config.get("conditional") else "gan"
    if family == "vae" and float(config.get("beta", 1.0)) != 1.0:
        return "beta-vae"
    return family


def model_licence(dataset_licence: str) -> str:
    """A model inherits its data's terms: CC-BY-SA-3.0 -> cc-by-sa-3.0; synthetic data -> MIT."""
    first = dataset_licence.split()[0] if dataset_licence.strip() else ""
    return first.lower()[:40] if first.upper().startswith("CC") else "mit"


def zoo_data_kind(entry) -> str:
    if entry.family == "gpt":
        return "text"
    return "points" if len(entry.card.get("data_shape", [])) == 1 else "image"


@transaction.atomic
def publish_zoo_model(*, entry) -> LabModel | None:
    """Publish one built zoo entry as an official model (None when it has no weights yet).
    Safe to run again: a model with the same weights is not published twice."""
    from agora.lab.checkpoints import checkpoint_meta
    from agora.lab.services.publishing import text_spec
    from genlab.zoo import weights_sha256

    if not entry.built:
        return None
    existing = LabModel.objects.filter(official=True, checkpoint_sha256=entry.weights_sha256)
    if existing.exists():
        for model in existing.select_related("run"):
            refresh_measurements(model=model, entry=entry)
        return None
    sha = weights_sha256(entry.weights_path)
    if sha != entry.weights_sha256:  # zoo verify says the same; never publish other bytes
        raise ValueError(
            f"zoo model {entry.name}: weights hash {sha[:12]} is not its card's "
            f"{entry.weights_sha256[:12]}"
        )
    account = zoo_account()
    config = dict(entry.recipe["config"])
    family = site_family(config)
    run = TrainingRun.objects.create(
        owner=account,
        title=entry.title,
        zoo_name=entry.name,
        family=family,
        dataset=entry.dataset,
        preset=config.get("preset", "quick"),
        steps=config["steps"],
        seed=config.get("seed", 0),
        settings=config,
        status=TrainingRun.Status.COMPLETED,
        step=config["steps"],
        total_steps=config["steps"],
        metrics={k: float(v) for k, v in entry.metrics.items()},
        checkpoint_sha256=sha,
        # the CPU time the zoo build measured (its card), so a challenge can hold it to a budget
        cpu_seconds=round(float(entry.card.get("train", {}).get("cpu_minutes", 0)) * 60, 1),
        log=f"Built by python -m genlab zoo build {entry.name}; recipe {entry.recipe_sha256}\n",
    )
    # Stored in the site's language for the API, search and link previews; the model page
    # writes the card in its reader's language (agora/lab/zoo_cards.py).
    with translation.override(settings.LANGUAGE_CODE):
        card = card_markdown(entry)
    model = LabModel(
        run=run,
        owner=account,
        name=entry.title,
        zoo_name=entry.name,
        card=card,
        card_html=render(card),
        licence=model_licence(entry.licence.get("licence", "")),
        official=True,
        checkpoint_sha256=sha,
        data_kind=zoo_data_kind(entry),
        data_shape=list(entry.card.get("data_shape", [])),
        classes=[str(c) for c in entry.card.get("classes", [])],
        text_spec=text_spec(checkpoint_meta(entry.weights_path)),
    )
    with entry.weights_path.open("rb") as handle:
        model.checkpoint.save(f"zoo-{sha[:16]}.safetensors", File(handle), save=False)
    model.full_clean()
    model.save()
    # an entry rebuilt with other weights: the earlier official models of it step aside (they
    # stay, so what was generated with them still reproduces, but the lists show this one)
    LabModel.objects.filter(official=True, zoo_name=entry.name, superseded_by=None).exclude(
        pk=model.pk
    ).update(superseded_by=model)
    return model


def refresh_measurements(*, model: LabModel, entry) -> bool:
    """A zoo card measured again or reworded with the same weights (`genlab zoo evaluate`, e.g.
    after an evaluation is corrected): the published model's run takes the card's metrics and
    the stored card (search, link previews) is written again, its reference note kept. True
    when something changed; nothing is written when the card says what the site has."""
    metrics = {k: float(v) for k, v in entry.metrics.items()}
    with translation.override(settings.LANGUAGE_CODE):
        card = card_markdown(entry)
        note = reference_note(model.zoo_reference) if model.zoo_reference else ""
    card = f"{card}\n\n{note}" if note else card
    changed = False
    if model.run is not None and model.run.metrics != metrics:
        TrainingRun.objects.filter(pk=model.run_id).update(metrics=metrics)
        changed = True
    if model.card != card:
        model.card, model.card_html = card, render(card)
        model.save(update_fields=["card", "card_html"])  # post_save: the search follows
        changed = True
    return changed


def reference_generation(*, model: LabModel, entry) -> Generation:
    """The zoo entry's reference generation (its card's recipe) asked of the lab's worker."""
    from agora.lab.services.generations import request_generation

    reference = entry.reference
    if entry.family == "gpt":  # sample poems (genlab.gpt.zoo_reference's TextRecipe fields)
        from agora.lab.services.texts import request_text_generation

        return request_text_generation(
            user=model.owner,
            model=model,
            prompt=reference.get("prompt", ""),
            form=reference.get("form") or "",
            acrostic=reference.get("acrostic", ""),
            temperature=reference.get("temperature", 0.8),
            top_k=reference.get("top_k", 0),
            top_p=reference.get("top_p", 1.0),
            seed=reference.get("seed", 0),
            length=reference.get("length", 200),
            count=reference.get("count", 1),
        )
    return request_generation(
        user=model.owner,
        model=model,
        sampler=reference.get("sampler") or "ddim",
        steps=reference.get("steps", 50),
        guidance=reference.get("guidance", 0.0),
        eta=reference.get("eta", 0.0),
        seed=reference.get("seed", 0),
        labels=reference.get("labels"),
        count=reference.get("count", 16),
    )


def stored_reference_generation(
    *, model: LabModel, entry, owner: User | None = None, output=None
) -> Generation | None:
    """The reference generation from the output the zoo build stored (``reference.png`` cut
    into its images, or the card's texts), after its SHA-256 is checked against the card's
    ``reference_sha256``: nothing is sampled. None when there is no such output (then the
    worker samples it: reference_generation). ``owner``: a member whose generation this is
    (the demo's: the same recipe gives these very images, so Reproduce verifies it);
    ``output``: genlab.zoo.stored_reference(entry) when the caller has it already."""
    import json

    from agora.lab import execution
    from genlab import zoo as genlab_zoo

    if output is None:
        output = genlab_zoo.stored_reference(entry)
    if output is None:
        return None
    owner = owner or model.owner
    Status = Generation.Status
    if entry.family == "gpt":
        from genlab.gpt import TextRecipe

        recipe = TextRecipe(model.checkpoint_sha256, **entry.reference)
        generation = Generation.objects.create(
            model=model,
            owner=owner,
            recipe=json.loads(recipe.to_json()),
            recipe_hash=recipe.hash,
            status=Status.DONE,
            texts=output,
            images_sha256=entry.card["reference_sha256"],
        )  # created done: the search follows it (post_save)
        return generation
    recipe = genlab_zoo.reference_recipe(entry, model.checkpoint_sha256)
    generation = Generation.objects.create(
        model=model,
        owner=owner,
        recipe=json.loads(recipe.to_json()),
        recipe_hash=recipe.hash,
        status=Status.RUNNING,
    )
    stored, digest = execution.store_images(generation, output, recipe.to_json())
    Generation.objects.filter(pk=generation.pk).update(
        status=Status.DONE, images=stored, images_sha256=digest
    )
    generation.refresh_from_db()
    return generation


def note_stored_reference(*, model: LabModel, generation: Generation) -> None:
    """Add the stored reference generation to the card (its hash is the card's: checked)."""
    _note(model, {"kind": "stored", "url": generation.get_absolute_url()})


def note_reference(*, model: LabModel, generation: Generation, entry) -> None:
    """Add the reference generation to the card: where to see and reproduce it, and whether the
    site's pixels hash like the zoo card's reference."""
    expected = entry.card.get("reference_sha256", "")
    if generation.status != Generation.Status.DONE:
        reference = {"kind": "failed", "error": generation.error}
    elif generation.images_sha256 == expected:
        reference = {"kind": "identical", "url": generation.get_absolute_url()}
    else:
        reference = {
            "kind": "differs",
            "url": generation.get_absolute_url(),
            "got": generation.images_sha256[:12],
            "want": expected[:12],
        }
    _note(model, reference)


def _note(model: LabModel, reference: dict) -> None:
    """Keep what the note says (the page writes it in its reader's language) and append it to
    the stored card in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        card = f"{model.card}\n\n{reference_note(reference)}"
    LabModel.objects.filter(pk=model.pk).update(
        zoo_reference=reference, card=card, card_html=render(card)
    )


def publish_zoo(*, out, sample: bool = False) -> list[LabModel]:
    """Publish every built zoo model not yet on the site, each with its reference samples: those
    the zoo build stored, when their hash is the card's (no training, no sampling); else, or with
    ``sample``, sampled by the lab's worker code here and now."""
    import time

    from agora.lab import execution
    from genlab.zoo import list_models

    published = []
    for entry in list_models():
        started = time.monotonic()
        model = publish_zoo_model(entry=entry)
        if model is None:
            continue
        stored = None if sample else stored_reference_generation(model=model, entry=entry)
        if stored is not None:
            note_stored_reference(model=model, generation=stored)
            out.write(
                f"Published the zoo model {entry.name} with its stored reference samples "
                f"({time.monotonic() - started:.1f} s)."
            )
            published.append(model)
            continue
        generation = reference_generation(model=model, entry=entry)
        execution.execute_generation(generation_id=generation.id)
        generation.refresh_from_db()
        note_reference(model=model, generation=generation, entry=entry)
        out.write(
            f"Published the zoo model {entry.name} ({generation.duration_s:.1f} s to sample)."
        )
        published.append(model)
    return published
