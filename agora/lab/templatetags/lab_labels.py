"""Names of the lab's measurements as a reader says them, in the viewer's language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# genlab.metrics and genlab.train keys → labels; an unknown key is shown as it is
METRICS = {
    "classifier_fd": _("Fréchet distance (our classifier)"),
    "classifier_fd_ci95_low": _("Fréchet distance, 95% interval low"),
    "classifier_fd_ci95_high": _("Fréchet distance, 95% interval high"),
    "fd": _("Fréchet distance"),
    "class_accuracy": _("Class accuracy of samples"),
    "classifier_val_accuracy": _("Classifier accuracy on held-out data"),
    "classifier_dead_features": _("Classifier dead features"),
    "real_fd_floor": _("Fréchet distance of real data (floor)"),
    "mmd2": _("MMD² to held-out points"),
    "n": _("Samples measured"),
    "heldout_elbo_nats": _("Held-out ELBO (nats)"),
    "heldout_iwae_nll_nats": _("Held-out IWAE NLL (nats)"),
    "iwae_k": _("IWAE samples"),
    "autoencoder_heldout_elbo_nats": _("Autoencoder held-out ELBO (nats)"),
    "heldout_denoising_loss": _("Held-out denoising loss"),
    "best_validation_step": _("Best validation step"),
}

# training curve keys (genlab.train) → legend labels of the run page's chart
CURVES = {
    "loss": _("loss"),
    "d_loss": _("discriminator loss"),
    "g_loss": _("generator loss"),
    "kl": _("KL divergence"),
    "vae_loss": _("VAE loss"),
    "ae_loss": _("autoencoder loss"),
    "commitment": _("commitment loss"),
}


def curve_labels(keys) -> dict[str, str]:
    """{curve key: label} for the chart's legend (an unknown key keeps its name)."""
    return {key: str(CURVES.get(key, key)) for key in keys if key != "step"}


@register.filter
def metric_label(key: str) -> str:
    return str(METRICS.get(key, key))
