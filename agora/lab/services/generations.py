"""Asking a model for samples, and reproducing a generation from its recipe; the worker samples
them (agora.lab.execution.execute_generation)."""

from __future__ import annotations

import json
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.lab import permissions
from agora.lab.models import POINT_DATASETS, Generation, LabModel
from agora.lab.selectors import best_sampler_settings, is_conditional, model_num_classes
from agora.lab.services.publishing import count_generation
from agora.lab.tasks import enqueue
from genlab.config import SAMPLER_DEFAULTS  # imports no torch

# the generate form's guidance for class-conditional diffusion models (w in CFG eq. 6), from
# genlab's measured grid (docs/benchmarks.md)
DEFAULT_GUIDANCE = SAMPLER_DEFAULTS["diffusion"]["guidance"]


def request_generation(
    *,
    user: User,
    model: LabModel,
    sampler: str | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    seed: int | None = None,
    labels: list[int] | None = None,
    count: int = 1,
    eta: float | None = None,
    reproduces: Generation | None = None,
) -> Generation:
    """Validate the recipe against the model before anything is queued. Sampler options left
    None take the family's measured defaults (selectors.best_sampler_settings, which reads
    genlab.config.SAMPLER_DEFAULTS as the CLI and the generate form do); eta only applies to
    DDIM, so another sampler keeps 0."""
    from genlab.errors import GenlabError
    from genlab.recipe import MAX_COUNT, Recipe

    if not permissions.can_generate(user, model):
        raise PermissionDenied(_("You may not use this model."))
    best = best_sampler_settings(model)
    sampler = sampler or best["sampler"]
    steps = best["steps"] if steps is None else steps
    eta = (best["eta"] if sampler == "ddim" else 0.0) if eta is None else eta
    guidance = best["guidance"] if guidance is None else guidance
    errors: dict[str, str] = {}
    allowed = ("ddpm", "ddim") if best["diffusion"] else ("direct",)
    if sampler not in allowed:
        errors["sampler"] = _("This model samples with: %(list)s.") % {"list": ", ".join(allowed)}
    if not 1 <= steps <= 1000:
        errors["steps"] = _("Steps must be between 1 and 1000.")
    if not 0 <= guidance <= 20:
        errors["guidance"] = _("Guidance must be between 0 and 20.")
    points = model.run.dataset in POINT_DATASETS
    # a 2-D model draws points into one scatter plot, up to what genlab samples in one go
    most = MAX_COUNT if points else 64
    if not 1 <= count <= most:
        errors["count"] = _("Make between 1 and %(n)d samples.") % {"n": most}
    if not 0 <= eta <= 1:
        errors["eta"] = _("eta must be between 0 and 1.")
    if seed is None:
        seed = secrets.randbelow(2**31)
    if not 0 <= seed < 2**31:
        errors["seed"] = _("The seed must be a whole number from 0 to 2147483647.")
    if labels:
        classes = model_num_classes(model)
        if not is_conditional(model.run, classes):
            errors["labels"] = _("This model is not conditional; leave the label empty.")
        elif any(not 0 <= label < classes for label in labels):
            errors["labels"] = _("Labels must be between 0 and %(n)d.") % {"n": classes - 1}
    if errors:
        raise ValidationError(errors)
    try:
        recipe = Recipe(
            checkpoint_sha256=model.checkpoint_sha256,
            sampler=sampler,
            steps=steps,
            eta=eta,
            guidance=guidance,
            seed=seed,
            labels=tuple(labels) if labels else None,
            count=count,
        )
    except GenlabError as exc:
        raise ValidationError(str(exc)) from exc
    generation = Generation.objects.create(
        model=model,
        owner=user,
        recipe=json.loads(recipe.to_json()),
        recipe_hash=recipe.hash,
        reproduces=reproduces,
    )
    count_generation(user=user, model=model)
    transaction.on_commit(lambda: enqueue("generate", generation.id))
    return generation


def reproduce(*, user: User, generation: Generation) -> Generation:
    if generation.is_text:
        from agora.lab.services.texts import reproduce_text

        return reproduce_text(user=user, generation=generation)
    from genlab.recipe import Recipe

    recipe = Recipe.from_json(json.dumps(generation.recipe))
    return request_generation(
        user=user,
        model=generation.model,
        sampler=recipe.sampler or "ddim",
        steps=recipe.steps,
        guidance=recipe.guidance,
        seed=recipe.seed,
        labels=list(recipe.labels) if recipe.labels else None,
        count=recipe.count,
        eta=recipe.eta,
        reproduces=generation.reproduces or generation,
    )
