"""Latent diffusion as in Rombach et al. 2022: a convolutional autoencoder with a SPATIAL latent
(z_channels x size/4 x size/4: 4 x 7 x 7 for 28 px, 4 x 8 x 8 for 32 px) and a small KL weight
(1e-6, LDM's "KL-reg"), then the pixel UNet of genlab.nets on the scaled latents, trained with
DDPM's L_simple, class-conditional with classifier-free guidance; DDIM/DDPM samples are decoded
to pixels. Family name `latent-unet`; the older `latent` family (vector latent, MLP denoiser)
is unchanged."""

from __future__ import annotations

import torch
from torch import nn

from genlab.autoencoders import KLAutoencoder
from genlab.data import Dataset
from genlab.diffusion import NoiseSchedule
from genlab.diffusion_family import EpsFamily, sample_with
from genlab.family import EMA
from genlab.nets import UNet


class LatentUNetFamily(EpsFamily):
    """Steps [0, vae_steps) train the autoencoder; the next `steps` train the UNet on
    z * scale, scale = 1 / std(z) of the first 1,024 training images (LDM's scale_by_std)."""

    name = "latent-unet"

    def __init__(self, cfg, spec) -> None:
        super().__init__(cfg, spec)
        c, s = spec.shape[0], spec.shape[1]
        self.latent_shape = (cfg.z_channels, s // 4, s // 4)
        self.ae = KLAutoencoder(c, cfg.z_channels, cfg.width)
        self.ae_opt = torch.optim.Adam(self.ae.parameters(), lr=cfg.lr)
        self.sched = NoiseSchedule.make(cfg.schedule, cfg.T, cfg.schedule_version)
        self.eps_theta = UNet(
            cfg.z_channels, cfg.base, tuple(cfg.mults), self.num_classes, cfg.attention
        )
        self.ema = EMA(self.eps_theta, cfg.ema_decay)
        self.opt = torch.optim.Adam(self.eps_theta.parameters(), lr=cfg.lr)
        self.scale = nn.Module()
        self.scale.register_buffer("value", torch.zeros(()))

    def total_steps(self) -> int:
        return self.cfg.vae_steps + self.cfg.steps

    def trained_modules(self) -> dict[str, nn.Module]:
        return {
            "ae": self.ae,
            "eps_theta": self.eps_theta,
            "ema": self.ema.shadow,
            "scale": self.scale,
        }

    def sampling_modules(self) -> dict[str, nn.Module]:
        return {"ae": self.ae, "eps_theta": self.ema.shadow, "scale": self.scale}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"ae": self.ae_opt, "eps_theta": self.opt}

    def autoencoder_step(self, data: Dataset, gen: torch.Generator) -> dict[str, float]:
        self.ae.train()
        x, _ = self.batch(data, gen)
        loss, rec, kl = self.ae.loss(x, gen, self.cfg.kl_weight)
        self.ae_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.ae_opt.step()
        return {
            "ae_loss": float(loss.detach()),
            "ae_l1": float(rec.detach()),
            "ae_kl": float(kl.detach()),
        }

    def diffusion_input(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        with torch.no_grad():
            return self.ae.encode(x, gen) * self.scale.value

    def train_step(self, data: Dataset, gen: torch.Generator, step: int) -> dict[str, float]:
        if step < self.cfg.vae_steps:
            return self.autoencoder_step(data, gen)
        self.ae.eval()
        if float(self.scale.value) == 0.0:
            with torch.no_grad():
                z = self.ae.encode(data.x[: min(len(data), 1024)], gen)
            self.scale.value.fill_(1.0 / float(z.std()))
        return self.eps_train_step(data, gen, step - self.cfg.vae_steps)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """D(mean of q(z|x)): what the first stage keeps of an image."""
        self.ae.eval()
        return self.ae.decode(self.ae.posterior(x)[0])

    @torch.no_grad()
    def final_metrics(self, val: Dataset) -> dict[str, float]:
        x = val.x[:500]
        err = (self.reconstruct(x) - x).abs().flatten(1).sum(1).mean()
        return {"autoencoder_heldout_l1": float(err), "latent_scale": float(self.scale.value)}

    @torch.no_grad()
    def generate(
        self, n, gen, labels, sampler, steps, eta, guidance, clip_sample=False, variance="beta"
    ) -> torch.Tensor:
        net = self.eps_net()
        self.ae.eval()
        z = sample_with(
            net,
            self.sched,
            (n, *self.latent_shape),
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
        return self.ae.decode(z / scale)
