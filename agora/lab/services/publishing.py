"""Publishing a finished run as a model others can sample, and starring models."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core import trending
from agora.core.limits import check_lengths
from agora.core.markdown import render
from agora.following.signals import member_shared
from agora.lab import permissions
from agora.lab.models import LabModel, Star, TrainingRun


@transaction.atomic
def publish_model(
    *, user: User, run: TrainingRun, name: str, card: str, licence: str, private: bool
) -> LabModel:
    if not permissions.can_manage_run(user, run):
        raise PermissionDenied(_("Only the owner can publish this run."))
    if run.status != TrainingRun.Status.COMPLETED:
        raise ValidationError(_("Only a completed run can be published."))
    if LabModel.objects.filter(run=run).exists():
        raise ValidationError(_("This run is already published."))
    if len(name.strip()) < 3:
        raise ValidationError({"name": _("Give the model a name of at least 3 characters.")})
    check_lengths(LabModel, name=name.strip(), card=card, licence=licence)
    source = run.out_dir / "model.safetensors"
    if not source.is_file():  # trained on another machine: its checkpoint is in S3, if used
        from agora.lab.execution import pull_run_state

        pull_run_state(run.id, run.out_dir)
    if not source.is_file():
        raise ValidationError(_("The run's checkpoint is missing; it cannot be published."))
    from agora.lab.checkpoints import checkpoint_meta

    meta = checkpoint_meta(source)
    spec = meta.get("data") if isinstance(meta.get("data"), dict) else {}
    base = run.base_model
    model = LabModel(
        run=run,
        owner=user,
        base=base,
        lineage=[*base.lineage, base.id] if base else [],
        data_kind=str(spec.get("kind", ""))[:10],
        data_shape=list(spec.get("shape", [])),
        classes=[str(name)[:80] for name in spec.get("classes", [])][:1000],
        text_spec=text_spec(meta),
        name=name.strip(),
        card=card,
        card_html=render(card) if card.strip() else "",
        licence=licence,
        private=private or run.private,
        checkpoint_sha256=run.checkpoint_sha256,
    )
    with source.open("rb") as handle:
        model.checkpoint.save(f"{run.checkpoint_sha256[:16]}.safetensors", File(handle), save=False)
    model.save()
    if not model.private:
        from agora.forum.services import open_discussion

        raw = f"{card or name}\n\n[{_('Model page')}]({model.get_absolute_url()})"
        model.topic = open_discussion(
            author=user,
            category_slug="image-generation",
            title=f"{_('Model')}: {model.name}",
            raw=raw,
        )
        model.save(update_fields=["topic"])
        transaction.on_commit(
            lambda: member_shared.send(sender=LabModel, kind="model", object_id=model.pk)
        )
    return model


def text_spec(meta: dict) -> dict:
    """What the site needs to know of a text model without loading it: its tokenizer's kind,
    the poem forms it was trained on and its context (the vocabulary stays in the file); for a
    fine-tune, the characters it added to its base's vocabulary (the first 40, and how many)."""
    text = (meta.get("data") or {}).get("text")
    if not isinstance(text, dict):
        return {}
    import json

    try:
        kind = json.loads(text.get("tokenizer", "{}")).get("kind", "")
    except (ValueError, AttributeError):
        kind = ""
    forms = text.get("forms") if isinstance(text.get("forms"), dict) else {}
    config = meta.get("config") or {}
    spec = {"tokenizer": kind, "forms": forms, "block_size": config.get("block_size")}
    new = text.get("new_characters")
    if isinstance(new, str) and new:
        spec.update(new_characters=new[:40], new_character_count=len(new))
    return spec


def toggle_star(*, user: User, model: LabModel) -> bool:
    if not permissions.can_star(user):
        raise PermissionDenied(_("Log in to star models."))
    with transaction.atomic():
        deleted, _details = Star.objects.filter(model=model, user=user).delete()
        if deleted:
            LabModel.objects.filter(pk=model.pk).update(star_count=F("star_count") - 1)
            rescore_model(model.pk)
            return False
    try:
        with transaction.atomic():
            Star.objects.create(model=model, user=user)
            LabModel.objects.filter(pk=model.pk).update(star_count=F("star_count") + 1)
            rescore_model(model.pk)
    except IntegrityError:
        pass
    return True


GENERATIONS_PER_STAR = 5  # others' generations count a fifth of a star in trending


def model_score(model: LabModel) -> int:
    """agora.core.trending's score of a model: stars and a fifth of others' generations."""
    activity = model.star_count + model.generation_count / GENERATIONS_PER_STAR
    return trending.score(activity, model.created_at)


def rescore_model(model_id: int) -> None:
    """The trending score follows the counts it is made of."""
    model = (
        LabModel.objects.filter(pk=model_id)
        .only("star_count", "generation_count", "created_at")
        .first()
    )
    if model is not None:
        LabModel.objects.filter(pk=model_id).update(trending_score=model_score(model))


def count_generation(*, user: User, model: LabModel) -> None:
    """Another member sampled the model: it trends a little (its owner's own runs do not)."""
    if user.pk == model.owner_id:
        return
    LabModel.objects.filter(pk=model.pk).update(generation_count=F("generation_count") + 1)
    rescore_model(model.pk)


def withdraw_stars(*, user: User) -> None:
    """Before a member is deleted: their stars leave the models' counts."""
    from agora.core.counters import withdraw_marks

    stars = Star.objects.filter(user=user)
    withdraw_marks(stars, target="model", counted=LabModel, field="star_count")
    stars.delete()
