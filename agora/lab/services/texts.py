"""Asking a text model (the gpt family) for texts: a prompt, a poem form and an acrostic, and the
sampling settings; each recipe is checked against the model here, with a message in the member's
language, before anything is queued. The worker writes them (execution.execute_generation)."""

from __future__ import annotations

import json
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.lab import permissions
from agora.lab.models import Generation, LabModel
from agora.lab.services.publishing import count_generation
from agora.lab.tasks import enqueue

MAX_TEXTS = 16  # texts in one generation
MAX_PROMPT_CHARS = 500


def form_names() -> dict[str, str]:
    """The poem forms genlab knows: key -> name (五言绝句 ...)."""
    from genlab.text import FORM_NAMES

    return dict(FORM_NAMES)


def form_lines(form: str) -> int:
    from genlab.text import FORMS

    return FORMS[form][1]


def vocabulary(model: LabModel) -> str | None:
    """A character-level model's characters, read from its checkpoint's header; None for a
    byte-level BPE model (it can spell anything)."""
    from agora.lab.checkpoints import data_spec
    from agora.lab.execution import local_checkpoint

    text = data_spec(local_checkpoint(model)).get("text") or {}
    try:
        tokenizer = json.loads(text.get("tokenizer", "{}"))
    except ValueError:
        return None
    return tokenizer.get("chars") if tokenizer.get("kind") == "char" else None


def check_text_recipe(
    *,
    model: LabModel,
    prompt: str,
    form: str,
    acrostic: str,
    temperature: float,
    top_k: int,
    top_p: float,
    seed: int,
    length: int,
    count: int,
) -> None:
    """Refuse what this model cannot do, each problem on its field, in the member's language."""
    spec = model.text_spec
    errors: dict[str, str] = {}
    acrostic = "".join(acrostic.split())
    forms = spec.get("forms") or {}
    if "\n" in prompt or "\r" in prompt:
        errors["prompt"] = _("The prompt is one line.")
    elif len(prompt) > MAX_PROMPT_CHARS:
        errors["prompt"] = _("The prompt is at most %(n)d characters.") % {"n": MAX_PROMPT_CHARS}
    if form and form not in form_names():
        errors["form"] = _("Choose one of the poem forms.")
    elif form and form not in forms:
        errors["form"] = _("This model was not trained on %(form)s poems; it knows: %(known)s.") % {
            "form": form_names()[form],
            "known": "、".join(form_names()[f] for f in forms if f in form_names()) or _("none"),
        }
    if acrostic:
        chosen = form or ("qiyan-jueju" if len(acrostic) <= 4 else "qiyan-lushi")
        if not forms:
            errors["acrostic"] = _("This model writes no poems of fixed form; leave it empty.")
        elif chosen in form_names() and len(acrostic) > form_lines(chosen):
            errors["acrostic"] = _(
                "The acrostic has %(n)d characters but a %(form)s has %(lines)d lines."
            ) % {"n": len(acrostic), "form": form_names()[chosen], "lines": form_lines(chosen)}
        elif any(not "\u3400" <= c <= "\ufaff" for c in acrostic):
            errors["acrostic"] = _("An acrostic is made of Chinese characters.")
    if not 0 <= temperature <= 10:
        errors["temperature"] = _("Temperature must be between 0 and 10.")
    if top_k < 0:
        errors["top_k"] = _("Top-k is 0 (off) or more.")
    if not 0 < top_p <= 1:
        errors["top_p"] = _("Top-p must be more than 0 and at most 1.")
    if not 0 <= seed < 2**31:
        errors["seed"] = _("The seed must be a whole number from 0 to 2147483647.")
    if not 1 <= length <= 2048:
        errors["length"] = _("Length must be between 1 and 2048 tokens.")
    if not 1 <= count <= MAX_TEXTS:
        errors["count"] = _("Write between 1 and %(n)d texts.") % {"n": MAX_TEXTS}
    if "prompt" not in errors and "acrostic" not in errors:
        chars = vocabulary(model)
        if chars is not None:
            unknown = sorted({c for c in prompt + acrostic if c not in chars})
            if unknown:
                field = "prompt" if any(c in prompt for c in unknown) else "acrostic"
                errors[field] = _(
                    "This model does not know these characters: %(chars)s. It knows "
                    "%(n)d characters."
                ) % {"chars": "".join(unknown[:20]), "n": len(chars)}
        block = int(spec.get("block_size") or 0)
        if chars is not None and block and len(prompt) + 1 > block:
            errors["prompt"] = _(
                "The prompt is %(n)d characters; this model reads at most %(most)d."
            ) % {"n": len(prompt), "most": block - 1}
    if errors:
        raise ValidationError(errors)


def request_text_generation(
    *,
    user: User,
    model: LabModel,
    prompt: str = "",
    form: str = "",
    acrostic: str = "",
    temperature: float,
    top_k: int,
    top_p: float,
    seed: int | None,
    length: int,
    count: int = 1,
    reproduces: Generation | None = None,
) -> Generation:
    from genlab.errors import GenlabError
    from genlab.gpt import TextRecipe

    if not permissions.can_generate(user, model):
        raise PermissionDenied(_("You may not use this model."))
    if model.run.family != "gpt":
        raise ValidationError(_("This model draws images; it writes no text."))
    if seed is None:
        seed = secrets.randbelow(2**31)
    check_text_recipe(
        model=model,
        prompt=prompt,
        form=form,
        acrostic=acrostic,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
        length=length,
        count=count,
    )
    try:
        recipe = TextRecipe(
            checkpoint_sha256=model.checkpoint_sha256,
            prompt=prompt,
            form=form or None,
            acrostic=acrostic,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            seed=seed,
            length=length,
            count=count,
        )
    except GenlabError as exc:  # what only genlab knows (e.g. a prompt that breaks the form)
        raise ValidationError(
            _("The model cannot follow this recipe: %(why)s") % {"why": exc}
        ) from exc
    with transaction.atomic():
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


def reproduce_text(*, user: User, generation: Generation) -> Generation:
    r = generation.recipe
    return request_text_generation(
        user=user,
        model=generation.model,
        prompt=r.get("prompt", ""),
        form=r.get("form") or "",
        acrostic=r.get("acrostic", ""),
        temperature=r["temperature"],
        top_k=r["top_k"],
        top_p=r["top_p"],
        seed=r["seed"],
        length=r["length"],
        count=r.get("count", 1),
        reproduces=generation.reproduces or generation,
    )
