"""Convolutional autoencoders with a SPATIAL latent (c x size/4 x size/4), the first stage of
latent diffusion as in Rombach et al. 2022 (a KL-regularised autoencoder, "KL-reg") and of the
VQ-VAE (van den Oord et al. 2017, a vector-quantised one)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from genlab.vae import kl_normal_std


class SpatialEncoder(nn.Module):
    """x (C x s x s) -> out_channels x s/4 x s/4: two stride-2 4x4 convs between 3x3 convs."""

    def __init__(self, channels: int, out_channels: int, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, 1, 1),
            nn.SiLU(),
            nn.Conv2d(width, width, 4, 2, 1),
            nn.SiLU(),
            nn.Conv2d(width, 2 * width, 3, 1, 1),
            nn.SiLU(),
            nn.Conv2d(2 * width, 2 * width, 4, 2, 1),
            nn.SiLU(),
            nn.Conv2d(2 * width, out_channels, 3, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SpatialDecoder(nn.Module):
    """z (c x s/4 x s/4) -> pixels (C x s x s), the encoder mirrored with transposed convs."""

    def __init__(self, z_channels: int, channels: int, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(z_channels, 2 * width, 3, 1, 1),
            nn.SiLU(),
            nn.Conv2d(2 * width, 2 * width, 3, 1, 1),
            nn.SiLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1),
            nn.SiLU(),
            nn.Conv2d(width, width, 3, 1, 1),
            nn.SiLU(),
            nn.ConvTranspose2d(width, channels, 4, 2, 1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class KLAutoencoder(nn.Module):
    """LDM's KL-regularised autoencoder without its LPIPS and patch-GAN terms (they need
    pretrained VGG weights): loss = sum |x - D(z)| + kl_weight KL(q(z|x) || N(0, I)), per
    example, z ~ q(z|x) = N(mu, sigma^2) of shape z_channels x s/4 x s/4 (LDM's nll_loss is the
    summed L1 + LPIPS, its kl_loss the summed KL, weighted 1e-6)."""

    def __init__(self, channels: int, z_channels: int, width: int = 32) -> None:
        super().__init__()
        self.z_channels = z_channels
        self.encoder = SpatialEncoder(channels, 2 * z_channels, width)
        self.decoder = SpatialDecoder(z_channels, channels, width)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        return mu, log_var.clamp(-30.0, 20.0)  # as LDM's DiagonalGaussianDistribution

    def encode(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """z ~ q(z|x) (LDM's get_first_stage_encoding samples the posterior)."""
        mu, log_var = self.posterior(x)
        return mu + (0.5 * log_var).exp() * torch.randn(mu.shape, generator=gen)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def loss(
        self, x: torch.Tensor, gen: torch.Generator, kl_weight: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(loss, summed L1 reconstruction, KL), each the mean over the batch."""
        mu, log_var = self.posterior(x)
        z = mu + (0.5 * log_var).exp() * torch.randn(mu.shape, generator=gen)
        rec = (x - self.decoder(z)).abs().flatten(1).sum(1).mean()
        kl = kl_normal_std(mu, log_var).mean()
        return rec + kl_weight * kl, rec, kl


class VectorQuantizer(nn.Module):
    """VQ-VAE sec. 3.1: z_q(x) = e_k with k = argmin_j ||z_e(x) - e_j||_2 at every latent
    position (eq. 1-2); a codebook of K vectors of dimension D. The codebook starts from K
    encoder outputs of the first training batch (a data-dependent start that keeps codes from
    dying; the paper does not say how it initialises), marked by the `ready` buffer."""

    def __init__(self, num_codes: int, dim: int) -> None:
        super().__init__()
        self.num_codes, self.dim = num_codes, dim
        self.codebook = nn.Parameter(
            torch.empty(num_codes, dim).uniform_(-1 / num_codes, 1 / num_codes)
        )
        self.register_buffer("ready", torch.zeros(()))

    @torch.no_grad()
    def init_from(self, z_e: torch.Tensor, gen: torch.Generator) -> None:
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, self.dim)
        pick = torch.randint(0, flat.shape[0], (self.num_codes,), generator=gen)
        self.codebook.copy_(flat[pick])
        self.ready.fill_(1.0)

    def indices(self, z_e: torch.Tensor) -> torch.Tensor:
        """(B, D, H, W) -> (B, H, W) nearest code indices."""
        b, d, h, w = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, d)
        dist = (
            flat.pow(2).sum(1, keepdim=True)
            - 2 * flat @ self.codebook.t()
            + self.codebook.pow(2).sum(1)[None]
        )
        return dist.argmin(1).view(b, h, w)

    def lookup(self, idx: torch.Tensor) -> torch.Tensor:
        """(B, H, W) code indices -> (B, D, H, W) code vectors."""
        return F.embedding(idx, self.codebook).permute(0, 3, 1, 2)

    def forward(self, z_e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        idx = self.indices(z_e)
        return self.lookup(idx), idx


def straight_through(z_e: torch.Tensor, z_q: torch.Tensor) -> torch.Tensor:
    """VQ-VAE sec. 3.2: the decoder sees z_q in the forward pass, and its input gradient is
    copied to the encoder output unchanged (d decoder_input / d z_e = identity)."""
    return z_e + (z_q - z_e).detach()


def vq_loss_terms(z_e: torch.Tensor, z_q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """VQ-VAE eq. 3, its second and third terms (per element means): the codebook loss
    ||sg[z_e(x)] - e||^2 moves the codes only, the commitment loss ||z_e(x) - sg[e]||^2 the
    encoder only."""
    codebook = F.mse_loss(z_q, z_e.detach())
    commitment = F.mse_loss(z_e, z_q.detach())
    return codebook, commitment


def codebook_usage(idx: torch.Tensor, num_codes: int) -> tuple[float, int]:
    """(perplexity exp(-sum_k p_k log p_k) of the code frequencies, codes used at least once)."""
    counts = torch.bincount(idx.flatten(), minlength=num_codes).double()
    p = counts / counts.sum()
    nz = p[p > 0]
    return float(torch.exp(-(nz * nz.log()).sum())), int((counts > 0).sum())


class VQVAE(nn.Module):
    """Encoder -> nearest code (VectorQuantizer) -> decoder, with a D x s/4 x s/4 latent grid."""

    def __init__(self, channels: int, num_codes: int, dim: int, width: int = 32) -> None:
        super().__init__()
        self.encoder = SpatialEncoder(channels, dim, width)
        self.quantizer = VectorQuantizer(num_codes, dim)
        self.decoder = SpatialDecoder(dim, channels, width)

    def loss(
        self, x: torch.Tensor, commitment: float
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        """VQ-VAE eq. 3 with a Gaussian log p(x|z_q) of fixed variance (the per-element MSE):
        L = ||x - D(z_q)||^2 + ||sg[z_e] - e||^2 + beta ||z_e - sg[e]||^2. Returns (L, terms,
        code indices)."""
        z_e = self.encoder(x)
        z_q, idx = self.quantizer(z_e)
        x_rec = self.decoder(straight_through(z_e, z_q))
        rec = F.mse_loss(x_rec, x)
        cb, commit = vq_loss_terms(z_e, z_q)
        total = rec + cb + commitment * commit
        return total, {"rec": rec, "codebook": cb, "commitment": commit}, idx

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        return self.quantizer.indices(self.encoder(x))

    def decode_codes(self, idx: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.quantizer.lookup(idx))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode_codes(self.codes(x))
