"""GANs (Goodfellow et al. 2014), DCGAN (Radford et al. 2016), conditional GAN (Mirza & Osindero
2014), WGAN with weight clipping (Arjovsky et al. 2017) and WGAN-GP (Gulrajani et al. 2017)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from genlab.data import Dataset
from genlab.family import Family
from genlab.nets import DCDiscriminator, DCGenerator, MLPDiscriminator, MLPGenerator, dcgan_init


def d_loss_minimax(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """GAN eq. 1, discriminator side: maximise E[log D(x)] + E[log(1 - D(G(z)))], i.e. minimise
    the BCE of real batches labelled 1 and generated batches labelled 0 (D outputs logits)."""
    real = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
    fake = F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
    return real + fake


def g_loss_minimax(d_fake: torch.Tensor) -> torch.Tensor:
    """GAN eq. 1, generator side: minimise E[log(1 - D(G(z)))] = -BCE(D(G(z)), 0)."""
    return -F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))


def g_loss_nonsaturating(d_fake: torch.Tensor) -> torch.Tensor:
    """GAN sec. 3: maximise log D(G(z)) instead, i.e. BCE(D(G(z)), 1)."""
    return F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))


def gradient_penalty(
    critic: nn.Module,
    x_real: torch.Tensor,
    x_fake: torch.Tensor,
    gen: torch.Generator,
    y: torch.Tensor | None = None,
) -> torch.Tensor:
    """WGAN-GP eq. 3: E[(||grad_xhat D(xhat)||_2 - 1)^2], xhat = a x + (1 - a) x~, a ~ U[0, 1]."""
    shape = (x_real.shape[0],) + (1,) * (x_real.dim() - 1)
    a = torch.rand(shape, generator=gen)
    x_hat = (a * x_real + (1 - a) * x_fake).requires_grad_(True)
    out = critic(x_hat, y)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def critic_loss_wgan(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """WGAN eq. 3 / algorithm 1, critic side: maximise E[f(x)] - E[f(G(z))] over (clipped) f,
    i.e. minimise E[f(G(z))] - E[f(x)]; its negative estimates the Wasserstein-1 distance."""
    return d_fake.mean() - d_real.mean()


@torch.no_grad()
def clip_weights(critic: nn.Module, c: float) -> None:
    """WGAN algorithm 1 line 7: w <- clip(w, -c, c) for every critic parameter, which keeps f
    K-Lipschitz for some K (what the gradient penalty of WGAN-GP replaced)."""
    for p in critic.parameters():
        p.clamp_(-c, c)


class GANFamily(Family):
    name = "gan"

    def __init__(self, cfg, spec) -> None:
        super().__init__(cfg, spec)
        k = self.num_classes
        wgan = cfg.loss in ("wgan-gp", "wgan")
        if spec.kind == "points":
            dim = spec.shape[0]
            self.G: nn.Module = MLPGenerator(cfg.z_dim, dim, cfg.hidden, k)
            self.D: nn.Module = MLPDiscriminator(dim, cfg.hidden, k)
        else:
            c, s = spec.shape[0], spec.shape[1]
            self.G = DCGenerator(cfg.z_dim, c, s, cfg.width, k)
            self.D = DCDiscriminator(c, s, cfg.width, k, batch_norm=not wgan)
            dcgan_init(self.G)
            dcgan_init(self.D)
        if cfg.loss == "wgan":  # WGAN algorithm 1: RMSProp (momentum made the critic unstable)
            self.opt_G: torch.optim.Optimizer = torch.optim.RMSprop(self.G.parameters(), lr=cfg.lr)
            self.opt_D: torch.optim.Optimizer = torch.optim.RMSprop(self.D.parameters(), lr=cfg.lr)
        else:
            betas = (0.5, 0.9) if wgan else (0.5, 0.999)  # WGAN-GP / DCGAN Adam settings
            self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg.lr, betas=betas)
            self.opt_D = torch.optim.Adam(self.D.parameters(), lr=cfg.lr, betas=betas)

    def trained_modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D}

    def sampling_modules(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_G, "D": self.opt_D}

    def early_modules(self) -> list[nn.Module]:
        """The generator's first layers (z and label in): its projection / first linear."""
        if isinstance(self.G, DCGenerator):
            return [self.G.project]
        return [self.G.net[0]]

    def freeze_stages(self) -> list[list[nn.Module]]:
        """The generator's layers from z on (a transposed convolution with its batch norm)."""
        if isinstance(self.G, DCGenerator):
            net = self.G.net
            return [[self.G.project], [net[0], net[1]], [net[3]]]
        return [[m] for m in self.G.net if isinstance(m, nn.Linear)]

    def _z(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.cfg.z_dim, generator=gen)

    def _fake_labels(self, n: int, gen: torch.Generator) -> torch.Tensor | None:
        return torch.randint(0, self.num_classes, (n,), generator=gen) if self.num_classes else None

    def train_step(self, data: Dataset, gen: torch.Generator, step: int) -> dict[str, float]:
        """Algorithm 1: k discriminator steps with G fixed, then one generator step with D fixed."""
        cfg = self.cfg
        if self.finetuning:  # warm up from the base's weights (genlab.finetune)
            self.set_lr(self.opt_G, step)
            self.set_lr(self.opt_D, step)
        self.G.train()
        self.D.train()
        self.D.requires_grad_(True)
        for _ in range(cfg.k_disc):
            x, y = self.batch(data, gen)
            with torch.no_grad():
                x_fake = self.G(self._z(len(x), gen), y)
            d_real, d_fake = self.D(x, y), self.D(x_fake, y)
            if cfg.loss == "wgan-gp":
                gp = gradient_penalty(self.D, x, x_fake, gen, y)
                d_loss = d_fake.mean() - d_real.mean() + cfg.gp_lambda * gp  # WGAN-GP eq. 3
            elif cfg.loss == "wgan":
                d_loss = critic_loss_wgan(d_real, d_fake)
            else:
                d_loss = d_loss_minimax(d_real, d_fake)
            self.opt_D.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_D.step()
            if cfg.loss == "wgan":
                clip_weights(self.D, cfg.clip_value)
        self.D.requires_grad_(False)
        y = self._fake_labels(cfg.batch_size, gen)
        d_fake = self.D(self.G(self._z(cfg.batch_size, gen), y), y)
        if cfg.loss in ("wgan-gp", "wgan"):
            g_loss = -d_fake.mean()  # WGAN algorithm 1, generator: minimise -E[f(G(z))]
        elif cfg.loss == "minimax":
            g_loss = g_loss_minimax(d_fake)
        else:
            g_loss = g_loss_nonsaturating(d_fake)
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_G.step()
        self.D.requires_grad_(True)
        return {"d_loss": float(d_loss.detach()), "g_loss": float(g_loss.detach())}

    @torch.no_grad()
    def generate(
        self, n, gen, labels, sampler, steps, eta, guidance, clip_sample=False, variance="beta"
    ) -> torch.Tensor:
        self.G.eval()
        z = self._z(n, gen)
        if labels is None:  # a conditional G without labels: draw classes uniformly
            labels = self._fake_labels(n, gen)
        return self.G(z, labels)
