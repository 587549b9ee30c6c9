"""Networks: MLPs for 2-D data and latents, DCGAN conv nets, conv VAE parts, a small UNet."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding [cos, sin] with freqs exp(-ln(max_period) i / half) (improved-DDPM,
    diffusers flip_sin_to_cos=True, freq_shift=0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
    return F.pad(emb, (0, 1)) if dim % 2 else emb


class LabelEmbedding(nn.Module):
    """Class embedding plus a 'null' row (index num_classes) for classifier-free guidance."""

    def __init__(self, num_classes: int, dim: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.table = nn.Embedding(num_classes + 1, dim)

    def forward(self, y: torch.Tensor | None, batch: int) -> torch.Tensor:
        if y is None:
            y = torch.full((batch,), self.num_classes, dtype=torch.long)
        return self.table(y)


def mlp(sizes: list[int], act: type[nn.Module] = nn.SiLU) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class EpsMLP(nn.Module):
    """eps_theta(x_t, t, y) for vectors (2-D points or VAE latents)."""

    def __init__(self, dim: int, hidden: int = 128, depth: int = 3, num_classes: int = 0) -> None:
        super().__init__()
        self.emb_dim = hidden
        self.t_mlp = mlp([hidden, hidden, hidden])
        self.label = LabelEmbedding(num_classes, hidden) if num_classes else None
        self.inp = nn.Linear(dim, hidden)
        self.blocks = nn.ModuleList([mlp([hidden, hidden, hidden]) for _ in range(depth)])
        self.out = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None):
        emb = self.t_mlp(timestep_embedding(t, self.emb_dim))
        if self.label is not None:
            emb = emb + self.label(y, x.shape[0])
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(F.silu(h + emb))
        return self.out(F.silu(h))


# ---------- GAN nets ----------


class MLPGenerator(nn.Module):
    """G(z, y) for 2-D data."""

    def __init__(self, z_dim: int, out_dim: int, hidden: int = 128, num_classes: int = 0) -> None:
        super().__init__()
        self.label = nn.Embedding(num_classes, 16) if num_classes else None
        self.net = mlp(
            [z_dim + (16 if num_classes else 0), hidden, hidden, hidden, out_dim], nn.ReLU
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.label is not None:
            z = torch.cat([z, self.label(y)], 1)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """D(x, y) logit (or critic value for WGAN) for 2-D data."""

    def __init__(self, in_dim: int, hidden: int = 128, num_classes: int = 0) -> None:
        super().__init__()
        self.label = nn.Embedding(num_classes, 16) if num_classes else None
        sizes = [in_dim + (16 if num_classes else 0), hidden, hidden, hidden, 1]
        self.net = mlp(sizes, lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.label is not None:
            x = torch.cat([x, self.label(y)], 1)
        return self.net(x).squeeze(1)


class DCGenerator(nn.Module):
    """DCGAN generator: project z, two stride-2 transposed convs, tanh. Size divisible by 4."""

    def __init__(self, z_dim: int, channels: int, size: int, width: int = 32, num_classes: int = 0):
        super().__init__()
        self.s0, self.width = size // 4, width
        self.label = nn.Embedding(num_classes, 16) if num_classes else None
        zin = z_dim + (16 if num_classes else 0)
        self.project = nn.Sequential(
            nn.Linear(zin, 4 * width * self.s0 * self.s0, bias=False),
            nn.BatchNorm1d(4 * width * self.s0 * self.s0),
            nn.ReLU(),
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, channels, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.label is not None:
            z = torch.cat([z, self.label(y)], 1)
        h = self.project(z).view(-1, 4 * self.width, self.s0, self.s0)
        return self.net(h)


class DCDiscriminator(nn.Module):
    """DCGAN discriminator; batch norm off for a WGAN-GP critic. Labels enter as an extra plane."""

    def __init__(
        self,
        channels: int,
        size: int,
        width: int = 32,
        num_classes: int = 0,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        self.size = size
        self.label = nn.Embedding(num_classes, size * size) if num_classes else None
        cin = channels + (1 if num_classes else 0)
        norm: nn.Module = nn.BatchNorm2d(2 * width) if batch_norm else nn.Identity()
        self.net = nn.Sequential(
            nn.Conv2d(cin, width, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=not batch_norm),
            norm,
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * width * (size // 4) ** 2, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.label is not None:
            plane = self.label(y).view(-1, 1, self.size, self.size)
            x = torch.cat([x, plane], 1)
        return self.net(x).squeeze(1)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN init: conv weights N(0, 0.02), batch-norm gamma N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


# ---------- VAE nets ----------


class ConvEncoder(nn.Module):
    """x -> features -> (mu, log_var) of q(z|x). Size divisible by 4."""

    def __init__(self, channels: int, size: int, z_dim: int, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1),
            nn.SiLU(),
            nn.Conv2d(width, 2 * width, 4, 2, 1),
            nn.SiLU(),
            nn.Flatten(),
            nn.Linear(2 * width * (size // 4) ** 2, 256),
            nn.SiLU(),
            nn.Linear(256, 2 * z_dim),
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.net(x).chunk(2, dim=1)
        return mu, log_var


class ConvDecoder(nn.Module):
    """z -> pixel parameters of p(x|z) (Bernoulli logits or Gaussian means)."""

    def __init__(self, channels: int, size: int, z_dim: int, width: int = 32) -> None:
        super().__init__()
        self.s0, self.width = size // 4, width
        self.project = nn.Sequential(
            nn.Linear(z_dim, 256), nn.SiLU(), nn.Linear(256, 2 * width * self.s0**2), nn.SiLU()
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1),
            nn.SiLU(),
            nn.ConvTranspose2d(width, channels, 4, 2, 1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.project(z).view(-1, 2 * self.width, self.s0, self.s0))


class MLPEncoder(nn.Module):
    def __init__(self, in_dim: int, z_dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.net = mlp([in_dim, hidden, hidden, 2 * z_dim])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self.net(x).chunk(2, dim=1)
        return mu, log_var


class MLPDecoder(nn.Module):
    def __init__(self, z_dim: int, out_dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.net = mlp([z_dim, hidden, hidden, out_dim])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


# ---------- Classifier for evaluation ----------


class Classifier(nn.Module):
    """The evaluation classifier: three conv stages (3x3 conv, BatchNorm, GELU; two convs then a
    2x2 max-pool in the first two) and global average pooling to a `feat`-d feature vector that
    defines the classifier Frechet distance. GELU (not ReLU) after BatchNorm keeps every feature
    alive: the earlier ReLU net left 70 of its 128 features always zero."""

    def __init__(
        self, channels: int, size: int, num_classes: int, width: int = 32, feat: int = 128
    ) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.GELU()]

        w = width
        self.features = nn.Sequential(
            *block(channels, w),
            *block(w, w),
            nn.MaxPool2d(2),
            *block(w, 2 * w),
            *block(2 * w, 2 * w),
            nn.MaxPool2d(2) if size >= 16 else nn.Identity(),
            *block(2 * w, feat),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(feat, max(num_classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.features(x)))


# ---------- UNet ----------


def _groups(c: int) -> int:
    return math.gcd(c, 8)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb_dim: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, cout)
        self.norm2 = nn.GroupNorm(_groups(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class Attention(nn.Module):
    """Single-head self-attention over spatial positions (used at the lowest resolution)."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(_groups(c), c)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.out = nn.Conv2d(c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        a = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return x + self.out(a.transpose(1, 2).reshape(b, c, h, w))


class UNet(nn.Module):
    """eps_theta(x_t, t, y): ResBlocks with time + class embedding, stride-2 down, nearest up.
    Odd sizes work too (7 -> 4 -> 7): the upsampling goes back to each skip's size."""

    def __init__(
        self,
        channels: int = 1,
        base: int = 32,
        mults: tuple[int, ...] = (1, 2, 2),
        num_classes: int = 0,
        attention: bool = True,
    ) -> None:
        super().__init__()
        self.base = base
        emb_dim = 4 * base
        self.t_mlp = nn.Sequential(nn.Linear(base, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.label = LabelEmbedding(num_classes, emb_dim) if num_classes else None
        self.inp = nn.Conv2d(channels, base, 3, padding=1)
        chans = [base * m for m in mults]
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        c = base
        for i, ch in enumerate(chans):
            self.down.append(ResBlock(c, ch, emb_dim))
            c = ch
            last = i == len(chans) - 1
            self.downsample.append(nn.Identity() if last else nn.Conv2d(c, c, 3, 2, 1))
        self.mid1 = ResBlock(c, c, emb_dim)
        self.attn = Attention(c) if attention else nn.Identity()
        self.mid2 = ResBlock(c, c, emb_dim)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, ch in reversed(list(enumerate(chans))):
            self.up.append(ResBlock(c + ch, ch, emb_dim))
            c = ch
            self.upsample.append(nn.Conv2d(c, chans[i - 1], 3, padding=1) if i else nn.Identity())
            c = chans[i - 1] if i else c
        self.out_norm = nn.GroupNorm(_groups(c), c)
        self.out = nn.Conv2d(c, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None):
        emb = self.t_mlp(timestep_embedding(t, self.base))
        if self.label is not None:
            emb = emb + self.label(y, x.shape[0])
        h = self.inp(x)
        skips = []
        for block, down in zip(self.down, self.downsample, strict=True):
            h = block(h, emb)
            skips.append(h)
            h = down(h)
        h = self.mid2(self.attn(self.mid1(h, emb)), emb)
        for block, up in zip(self.up, self.upsample, strict=True):
            h = block(torch.cat([h, skips.pop()], 1), emb)
            if not isinstance(up, nn.Identity):
                # nearest up to the next skip's size: 2x for even sizes (identical to
                # scale_factor=2), and back to 7 from 4 for a 7x7 latent (latent-unet)
                h = up(F.interpolate(h, size=skips[-1].shape[-2:], mode="nearest"))
        return self.out(F.silu(self.out_norm(h)))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
