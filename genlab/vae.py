"""Variational autoencoder (Kingma & Welling 2014) and beta-VAE (Higgins et al. 2017)."""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.nn import functional as F

from genlab.data import Dataset, to_unit
from genlab.family import Family
from genlab.nets import ConvDecoder, ConvEncoder, MLPDecoder, MLPEncoder

LOG_2PI = math.log(2 * math.pi)
VALIDATION_SEED = 20261203  # the fit/validation cut of the training split (early stopping)


def kl_normal_std(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """VAE appendix B: KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum(1 + log sigma^2 - mu^2 - sigma^2),
    per example (summed over latent dims)."""
    return -0.5 * (1 + log_var - mu.pow(2) - log_var.exp()).flatten(1).sum(1)


def log_normal(z: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag(exp(log_var))), summed over the last dimension."""
    return -0.5 * ((z - mu) ** 2 / log_var.exp() + log_var + LOG_2PI).sum(-1)


def reparameterise(mu: torch.Tensor, log_var: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """VAE eq. 10: z = mu + sigma * eps, eps ~ N(0, I)."""
    eps = torch.randn(mu.shape, generator=gen)
    return mu + (0.5 * log_var).exp() * eps


def log_px_bernoulli(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x|z) for binary x, per example."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)


def log_px_gaussian(mean: torch.Tensor, log_sigma: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log N(x; mean, sigma^2 I) per example."""
    ll = -0.5 * (((x - mean) / log_sigma.exp()) ** 2 + 2 * log_sigma + LOG_2PI)
    return ll.flatten(1).sum(1)


class VAE(nn.Module):
    """q(z|x) Gaussian encoder, p(x|z) Bernoulli (binary pixels) or Gaussian decoder."""

    def __init__(
        self, shape: tuple[int, ...], z_dim: int, likelihood: str, width: int, hidden: int
    ):
        super().__init__()
        self.shape, self.z_dim, self.likelihood = shape, z_dim, likelihood
        if len(shape) == 1:
            self.encoder: nn.Module = MLPEncoder(shape[0], z_dim, hidden)
            self.decoder: nn.Module = MLPDecoder(z_dim, shape[0], hidden)
        else:
            self.encoder = ConvEncoder(shape[0], shape[1], z_dim, width)
            self.decoder = ConvDecoder(shape[0], shape[1], z_dim, width)
        # Gaussian p(x|z): a learned per-dimension log sigma (unused for Bernoulli)
        self.log_sigma = nn.Parameter(torch.full(shape, -1.0 if len(shape) == 1 else -2.0))

    def log_px(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.likelihood == "bernoulli":
            return log_px_bernoulli(out, x)
        return log_px_gaussian(out, self.log_sigma, x)

    def neg_elbo(
        self, x: torch.Tensor, gen: torch.Generator, beta: float = 1.0
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-ELBO = -E_q[log p(x|z)] + beta KL(q(z|x) || N(0, I)) (VAE eq. 3; beta-VAE eq. 4).
        Returns per-example (loss, reconstruction term, KL)."""
        mu, log_var = self.encoder(x)
        z = reparameterise(mu, log_var, gen)
        rec = -self.log_px(self.decoder(z), x)
        kl = kl_normal_std(mu, log_var)
        return rec + beta * kl, rec, kl

    @torch.no_grad()
    def iwae_bound(
        self, x: torch.Tensor, k: int, gen: torch.Generator, chunk: int = 50
    ) -> torch.Tensor:
        """Burda et al. 2016 eq. 8, per example: log (1/k) sum_i p(x, z_i) / q(z_i | x) with
        z_i ~ q(z | x); a lower bound of log p(x) that tightens as k grows (k = 1: the ELBO)."""
        mu, log_var = self.encoder(x)
        b = x.shape[0]
        zeros = torch.zeros_like(mu)
        log_w = []
        for start in range(0, k, chunk):
            kk = min(chunk, k - start)
            eps = torch.randn((kk, *mu.shape), generator=gen)
            z = mu + (0.5 * log_var).exp() * eps  # (kk, b, z_dim)
            out = self.decoder(z.reshape(kk * b, -1))
            xs = x.unsqueeze(0).expand(kk, *x.shape).reshape(kk * b, *x.shape[1:])
            log_px = self.log_px(out, xs).view(kk, b)
            log_w.append(log_px + log_normal(z, zeros, zeros) - log_normal(z, mu, log_var))
        return torch.logsumexp(torch.cat(log_w), 0) - math.log(k)

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        out = self.decoder(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out


def binarise(x_unit: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Dynamic binarisation: x ~ Bernoulli(pixel intensity)."""
    return torch.bernoulli(x_unit, generator=gen)


def interpolate(model: VAE, z0: torch.Tensor, z1: torch.Tensor, n: int) -> torch.Tensor:
    """Decode n points on the straight line between two latents."""
    w = torch.linspace(0, 1, n)[:, None]
    with torch.no_grad():
        return model.decode_mean((1 - w) * z0[None] + w * z1[None])


class VAEFamily(Family):
    name = "vae"

    def __init__(self, cfg, spec) -> None:
        super().__init__(cfg, spec)
        lik = cfg.likelihood
        if lik == "auto":
            lik = "bernoulli" if spec.kind == "image" and spec.shape[0] == 1 else "gaussian"
        self.likelihood = lik
        self.vae = VAE(spec.shape, cfg.z_dim, lik, cfg.width, cfg.hidden)
        self.opt = torch.optim.Adam(self.vae.parameters(), lr=cfg.lr)
        # early stopping (cfg.val_every): the weights with the best validation ELBO so far
        self.early_stopping = cfg.family == "vae" and cfg.val_every > 0
        self.best: VAE | None = None
        self.best_elbo, self.best_step = -math.inf, 0
        if self.early_stopping:
            self.best = copy.deepcopy(self.vae).eval().requires_grad_(False)
        self._split: tuple[int, Dataset, Dataset] | None = None

    @property
    def model(self) -> VAE:
        """The VAE that is saved and sampled: the best one so far with early stopping."""
        return self.best if self.best is not None else self.vae

    def trained_modules(self) -> dict[str, nn.Module]:
        if self.best is not None:
            return {"vae": self.vae, "best": self.best}
        return {"vae": self.vae}

    def sampling_modules(self) -> dict[str, nn.Module]:
        return {"vae": self.model}

    def extra_state(self) -> dict:
        if not self.early_stopping:
            return {}
        return {"best_elbo": self.best_elbo, "best_step": self.best_step}

    def load_extra_state(self, state: dict) -> None:
        if self.early_stopping:
            self.best_elbo = float(state.get("best_elbo", -math.inf))
            self.best_step = int(state.get("best_step", 0))

    def fit_and_validation(self, data: Dataset) -> tuple[Dataset, Dataset]:
        """The training split cut once more: a fixed `val_fraction` validates early stopping."""
        if self._split is None or self._split[0] != id(data):
            g = torch.Generator().manual_seed(VALIDATION_SEED)
            perm = torch.randperm(len(data), generator=g)
            n_val = max(1, round(len(data) * self.cfg.val_fraction))
            self._split = (id(data), data.subset(perm[n_val:]), data.subset(perm[:n_val]))
        return self._split[1], self._split[2]

    def shift(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Move each image by up to shift_px pixels in x and y (background fill)."""
        s = self.cfg.shift_px
        pad = F.pad(x, (s, s, s, s), value=-1.0)
        off = torch.randint(0, 2 * s + 1, (x.shape[0], 2), generator=gen).tolist()
        h, w = x.shape[-2:]
        return torch.stack(
            [p[:, dy : dy + h, dx : dx + w] for p, (dy, dx) in zip(pad, off, strict=True)]
        )

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"vae": self.opt}

    def early_modules(self) -> list[nn.Module]:
        """The encoder's first layer(s): its convolutions, or its first linear layer."""
        net = self.vae.encoder.net
        return [net[0], net[2]] if isinstance(net[0], nn.Conv2d) else [net[0]]

    def freeze_stages(self) -> list[list[nn.Module]]:
        """The encoder's layers with weights, from the input on."""
        return [[m] for m in self.vae.encoder.net if isinstance(m, (nn.Conv2d, nn.Linear))]

    def prepare(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Data as the likelihood sees it: binary pixels for Bernoulli, [0,1] or raw otherwise."""
        if self.spec.kind != "image":
            return x
        u = to_unit(x).clamp(0, 1)
        return binarise(u, gen) if self.likelihood == "bernoulli" else u

    def train_step(self, data: Dataset, gen: torch.Generator, step: int) -> dict[str, float]:
        validation = None
        if self.early_stopping:
            data, validation = self.fit_and_validation(data)
        self.vae.train()
        if self.finetuning:  # warm up from the base's weights (genlab.finetune)
            self.set_lr(self.opt, step)
        x, _ = self.batch(data, gen)
        if self.cfg.shift_px and self.spec.kind == "image":
            x = self.shift(x, gen)
        x = self.prepare(x, gen)
        loss, rec, kl = self.vae.neg_elbo(x, gen, self.cfg.beta)
        loss = loss.mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        out = {
            "loss": float(loss.detach()),
            "rec": float(rec.detach().mean()),
            "kl": float(kl.detach().mean()),
        }
        if validation is not None and (step + 1) % self.cfg.val_every == 0:
            elbo = self.elbo_of(self.vae, validation)
            if elbo > self.best_elbo:
                self.best_elbo, self.best_step = elbo, step + 1
                self.best.load_state_dict(self.vae.state_dict())  # type: ignore[union-attr]
            out["val_elbo"] = elbo
        return out

    @torch.no_grad()
    def elbo_of(self, vae: VAE, data: Dataset, seed: int = 0, batch: int = 500) -> float:
        """Mean ELBO in nats per example (one sample of z; beta = 1; a fixed binarisation)."""
        was_training = vae.training
        vae.eval()
        gen = torch.Generator().manual_seed(seed)
        total = 0.0
        for i in range(0, len(data), batch):
            x = self.prepare(data.x[i : i + batch], gen)
            loss, _, _ = vae.neg_elbo(x, gen, 1.0)
            total += float(loss.sum())
        vae.train(was_training)
        return -total / len(data)

    def heldout_elbo(self, data: Dataset, seed: int = 0, batch: int = 500) -> float:
        """Mean ELBO in nats per example on held-out data (one sample of z; beta = 1)."""
        return self.elbo_of(self.model, data, seed, batch)

    @torch.no_grad()
    def heldout_iwae_nll(
        self, data: Dataset, k: int = 500, seed: int = 0, batch: int = 100
    ) -> float:
        """Negative importance-weighted bound (Burda et al., k samples) in nats per example on
        held-out data, each image binarised once with a fixed seed: an upper bound of the NLL
        that approaches it as k grows; comparable to published MNIST figures (86.8 nats for
        a one-layer VAE) only for dynamically binarised grey digits."""
        vae = self.model.eval()
        gen = torch.Generator().manual_seed(seed)
        total = 0.0
        for i in range(0, len(data), batch):
            x = self.prepare(data.x[i : i + batch], gen)
            total += float(vae.iwae_bound(x, k, gen).sum())
        return -total / len(data)

    def to_data_space(self, mean: torch.Tensor) -> torch.Tensor:
        return mean * 2 - 1 if self.spec.kind == "image" else mean

    @torch.no_grad()
    def generate(
        self, n, gen, labels, sampler, steps, eta, guidance, clip_sample=False, variance="beta"
    ) -> torch.Tensor:
        """x = E[p(x|z)], z ~ N(0, I) (pixel means, not Bernoulli draws, for images)."""
        vae = self.model.eval()
        z = torch.randn(n, self.cfg.z_dim, generator=gen)
        return self.to_data_space(vae.decode_mean(z))
