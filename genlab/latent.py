"""Latent diffusion (Rombach et al. 2022): a VAE first, then DDPM on its scaled latents,
decoded back to pixels. Fewer dimensions per network call is the speed-up."""

from __future__ import annotations

import torch
from torch import nn

from genlab.data import Dataset
from genlab.diffusion import NoiseSchedule
from genlab.diffusion_family import EpsFamily, sample_with
from genlab.family import EMA
from genlab.nets import EpsMLP
from genlab.vae import VAEFamily


class LatentFamily(EpsFamily):
    """Steps [0, vae_steps) train the VAE; the next `steps` train eps_theta on z * scale."""

    name = "latent"

    def __init__(self, cfg, spec) -> None:
        super().__init__(cfg, spec)
        self.ae = VAEFamily(cfg, spec)  # its own Adam; beta from cfg
        self.sched = NoiseSchedule.make(cfg.schedule, cfg.T, cfg.schedule_version)
        self.eps_theta = EpsMLP(cfg.z_dim, cfg.hidden, 3, self.num_classes)
        self.ema = EMA(self.eps_theta, cfg.ema_decay)
        self.opt = torch.optim.Adam(self.eps_theta.parameters(), lr=cfg.lr)
        self.scale = nn.Module()
        self.scale.register_buffer("value", torch.zeros(()))  # LDM scale_by_std: 1 / std(z)

    def total_steps(self) -> int:
        return self.cfg.vae_steps + self.cfg.steps

    def trained_modules(self) -> dict[str, nn.Module]:
        return {
            "vae": self.ae.vae,
            "eps_theta": self.eps_theta,
            "ema": self.ema.shadow,
            "scale": self.scale,
        }

    def sampling_modules(self) -> dict[str, nn.Module]:
        return {"vae": self.ae.vae, "eps_theta": self.ema.shadow, "scale": self.scale}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"vae": self.ae.opt, "eps_theta": self.opt}

    def early_modules(self) -> list[nn.Module]:
        """The first stage (the autoencoder): latents keep their meaning for the base's
        noise predictor."""
        return [self.ae.vae]

    def freeze_stages(self) -> list[list[nn.Module]]:
        """The autoencoder first, then the latent noise predictor's blocks."""
        from genlab.diffusion_family import eps_stages

        return [[self.ae.vae], *eps_stages(self.eps_theta)]

    def encode(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """z ~ q(z|x), scaled to unit variance."""
        with torch.no_grad():
            mu, log_var = self.ae.vae.encoder(self.ae.prepare(x, gen))
            z = mu + (0.5 * log_var).exp() * torch.randn(mu.shape, generator=gen)
        return z

    def diffusion_input(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return self.encode(x, gen) * self.scale.value

    def train_step(self, data: Dataset, gen: torch.Generator, step: int) -> dict[str, float]:
        if step < self.cfg.vae_steps:
            return {"vae_loss": self.ae.train_step(data, gen, step)["loss"]}
        self.ae.vae.eval()
        if float(self.scale.value) == 0.0:
            first = data.x[: min(len(data), 1024)]
            self.scale.value.fill_(1.0 / float(self.encode(first, gen).std()))
        return self.eps_train_step(data, gen, step - self.cfg.vae_steps)

    def autoencoder_heldout_elbo(self, data: Dataset) -> float:
        """The first stage's ELBO in nats per example on held-out data (one z sample)."""
        return self.ae.heldout_elbo(data)

    @torch.no_grad()
    def generate(
        self, n, gen, labels, sampler, steps, eta, guidance, clip_sample=False, variance="beta"
    ) -> torch.Tensor:
        net = self.eps_net()
        self.ae.vae.eval()
        z = sample_with(
            net,
            self.sched,
            (n, self.cfg.z_dim),
            gen,
            sampler,
            steps,
            eta,
            labels,
            guidance,
            self.num_classes,
            variance=variance,
        )
        scale = float(self.scale.value) or 1.0
        return self.ae.to_data_space(self.ae.vae.decode_mean(z / scale))
