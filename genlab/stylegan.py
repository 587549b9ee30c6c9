"""A small StyleGAN (Karras et al. 2019, 2020) for 28/32 px on the CPU: a mapping network
z -> w, a synthesis network from a learned constant whose every layer is a modulated
convolution with demodulation (StyleGAN2 eq. 1-3) followed by per-pixel noise with a learned
strength, style mixing regularisation (two w's, a random crossover layer), a non-saturating
logistic loss with the R1 penalty on real images, equalised learning rate in the generator and
the mapping network's 0.01 learning-rate multiplier. Not included: progressive growing, skip /
residual architectures, path-length regularisation, lazy regularisation, the truncation trick."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from genlab.data import Dataset
from genlab.family import Family
from genlab.gan import g_loss_nonsaturating
from genlab.nets import DCDiscriminator


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    return x * (x.pow(2).mean(1, keepdim=True) + eps).rsqrt()


class EqualLinear(nn.Module):
    """y = x W^T c + b with W ~ N(0, 1 / lr_mul^2), c = lr_mul / sqrt(fan_in) applied at run
    time (StyleGAN's equalised learning rate)."""

    def __init__(self, cin: int, cout: int, bias_init: float = 0.0, lr_mul: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin) / lr_mul)
        self.bias = nn.Parameter(torch.full((cout,), bias_init / lr_mul))
        self.scale, self.lr_mul = lr_mul / math.sqrt(cin), lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class MappingNetwork(nn.Module):
    """f: z -> w, an 8-layer MLP in the paper (4 here), z normalised first; a class label
    enters as a normalised embedding concatenated to z (StyleGAN2-ADA's conditioning)."""

    def __init__(self, z_dim: int, w_dim: int, layers: int = 4, num_classes: int = 0) -> None:
        super().__init__()
        self.label = nn.Embedding(num_classes, z_dim) if num_classes else None
        dims = [z_dim * (2 if num_classes else 1)] + [w_dim] * layers
        self.net = nn.ModuleList(
            [EqualLinear(dims[i], dims[i + 1], lr_mul=0.01) for i in range(layers)]
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        x = normalize_2nd_moment(z)
        if self.label is not None:
            x = torch.cat([x, normalize_2nd_moment(self.label(y))], 1)
        for layer in self.net:
            x = F.leaky_relu(layer(x), 0.2) * math.sqrt(2)
        return x


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    demodulate: bool = True,
    eps: float = 1e-8,
) -> torch.Tensor:
    """StyleGAN2 eq. 1: w'_ijk = s_i w_ijk (input channel i scaled by the style s_i); eq. 3:
    w''_ijk = w'_ijk / sqrt(sum_{i,k} w'_ijk^2 + eps), so that output j has unit standard
    deviation when the inputs are i.i.d. with unit standard deviation (eq. 2). One grouped
    convolution for the whole batch (every sample has its own weights)."""
    b, cin, h, w = x.shape
    cout, _, k, _ = weight.shape
    wgt = weight[None] * styles[:, None, :, None, None]  # (b, cout, cin, k, k)
    if demodulate:
        wgt = wgt * (wgt.pow(2).sum(dim=(2, 3, 4)) + eps).rsqrt()[:, :, None, None, None]
    out = F.conv2d(
        x.reshape(1, b * cin, h, w), wgt.reshape(b * cout, cin, k, k), padding=k // 2, groups=b
    )
    return out.reshape(b, cout, h, w)


class StyleLayer(nn.Module):
    """(upsample x2) -> modulated 3x3 conv (style s = A(w), bias-initialised to 1) -> + noise
    strength * per-pixel N(0, 1) noise (StyleGAN fig. 1 'B') -> + bias -> lrelu * sqrt(2)."""

    def __init__(self, cin: int, cout: int, w_dim: int, up: bool = False) -> None:
        super().__init__()
        self.up = up
        self.affine = EqualLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(cout, cin, 3, 3))
        self.scale = 1 / math.sqrt(cin * 9)
        self.bias = nn.Parameter(torch.zeros(cout))
        self.noise_strength = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        if self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        x = modulated_conv2d(x, self.weight * self.scale, self.affine(w))
        x = x + self.noise_strength * noise
        return F.leaky_relu(x + self.bias[None, :, None, None], 0.2) * math.sqrt(2)


class ToRGB(nn.Module):
    """Modulated 1x1 conv without demodulation (StyleGAN2's tRGB)."""

    def __init__(self, cin: int, channels: int, w_dim: int) -> None:
        super().__init__()
        self.affine = EqualLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(channels, cin, 1, 1))
        self.scale = 1 / math.sqrt(cin)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        out = modulated_conv2d(x, self.weight * self.scale, self.affine(w), demodulate=False)
        return out + self.bias[None, :, None, None]


class SynthesisNetwork(nn.Module):
    """A learned constant at size/4, then conv; up + conv, conv at size/2; up + conv, conv at
    size; toRGB. Six w inputs (one per layer and toRGB), so ws has shape (B, 6, w_dim)."""

    def __init__(self, channels: int, size: int, w_dim: int, width: int) -> None:
        super().__init__()
        c0, c1, c2 = 4 * width, 2 * width, width
        self.s0 = size // 4
        self.const = nn.Parameter(torch.randn(c0, self.s0, self.s0))
        self.layers = nn.ModuleList(
            [
                StyleLayer(c0, c0, w_dim),
                StyleLayer(c0, c1, w_dim, up=True),
                StyleLayer(c1, c1, w_dim),
                StyleLayer(c1, c2, w_dim, up=True),
                StyleLayer(c2, c2, w_dim),
            ]
        )
        self.to_rgb = ToRGB(c2, channels, w_dim)
        self.num_ws = len(self.layers) + 1

    def noise_shapes(self, batch: int) -> list[tuple[int, ...]]:
        sizes = [self.s0, 2 * self.s0, 2 * self.s0, 4 * self.s0, 4 * self.s0]
        return [(batch, 1, s, s) for s in sizes]

    def forward(self, ws: torch.Tensor, noises: list[torch.Tensor]) -> torch.Tensor:
        x = self.const[None].expand(ws.shape[0], -1, -1, -1)
        for i, (layer, noise) in enumerate(zip(self.layers, noises, strict=True)):
            x = layer(x, ws[:, i], noise)
        return self.to_rgb(x, ws[:, -1])


class StyleGenerator(nn.Module):
    def __init__(
        self, z_dim: int, w_dim: int, channels: int, size: int, width: int, num_classes: int = 0
    ) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.mapping = MappingNetwork(z_dim, w_dim, 4, num_classes)
        self.synthesis = SynthesisNetwork(channels, size, w_dim, width)

    def noises(self, batch: int, gen: torch.Generator) -> list[torch.Tensor]:
        return [torch.randn(s, generator=gen) for s in self.synthesis.noise_shapes(batch)]

    def mixed_ws(
        self,
        z: torch.Tensor,
        y: torch.Tensor | None,
        gen: torch.Generator,
        mixing: float,
    ) -> tuple[torch.Tensor, int]:
        """Style mixing regularisation (StyleGAN sec. 3.1): with probability `mixing` a second
        z2 gives w2 = f(z2), and layers from a crossover drawn uniformly in [1, num_ws) take w2
        instead of w1. Returns (ws, crossover; num_ws when not mixed)."""
        n = self.synthesis.num_ws
        w1 = self.mapping(z, y)
        ws = w1[:, None].repeat(1, n, 1)
        if float(torch.rand((), generator=gen)) < mixing:
            cut = int(torch.randint(1, n, (), generator=gen))
            z2 = torch.randn(z.shape, generator=gen)
            ws[:, cut:] = self.mapping(z2, y)[:, None]
            return ws, cut
        return ws, n

    def forward(
        self, z: torch.Tensor, y: torch.Tensor | None, gen: torch.Generator, mixing: float = 0.0
    ) -> torch.Tensor:
        ws, _ = self.mixed_ws(z, y, gen, mixing)
        return self.synthesis(ws, self.noises(z.shape[0], gen))


def r1_penalty(d: nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """Mescheder et al. 2018 R1: E ||grad_x D(x)||^2 on real data (StyleGAN's regulariser)."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(d(x, y).sum(), x, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


class StyleGANFamily(Family):
    name = "stylegan"

    def __init__(self, cfg, spec) -> None:
        super().__init__(cfg, spec)
        c, s = spec.shape[0], spec.shape[1]
        k = self.num_classes
        self.G = StyleGenerator(cfg.z_dim, cfg.w_dim, c, s, cfg.width, k)
        self.D = DCDiscriminator(c, s, cfg.width, k, batch_norm=False)
        betas = (0.0, 0.99)  # StyleGAN2's Adam
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg.lr, betas=betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=cfg.lr, betas=betas)

    def trained_modules(self) -> dict[str, nn.Module]:
        return {"G": self.G, "D": self.D}

    def sampling_modules(self) -> dict[str, nn.Module]:
        return {"G": self.G}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"G": self.opt_G, "D": self.opt_D}

    def _labels(self, n: int, gen: torch.Generator) -> torch.Tensor | None:
        return torch.randint(0, self.num_classes, (n,), generator=gen) if self.num_classes else None

    def train_step(self, data: Dataset, gen: torch.Generator, step: int) -> dict[str, float]:
        cfg = self.cfg
        self.G.train()
        self.D.train()
        self.D.requires_grad_(True)
        x, y = self.batch(data, gen)
        with torch.no_grad():
            z = torch.randn(len(x), cfg.z_dim, generator=gen)
            fake = self.G(z, y, gen, cfg.mixing)
        # non-saturating logistic loss: softplus(D(G(z))) + softplus(-D(x))
        d_loss = F.softplus(self.D(fake, y)).mean() + F.softplus(-self.D(x, y)).mean()
        r1 = r1_penalty(self.D, x, y) if cfg.r1_gamma else torch.zeros(())
        self.opt_D.zero_grad(set_to_none=True)
        (d_loss + cfg.r1_gamma / 2 * r1).backward()
        self.opt_D.step()
        self.D.requires_grad_(False)
        y = self._labels(cfg.batch_size, gen)
        z = torch.randn(cfg.batch_size, cfg.z_dim, generator=gen)
        g_loss = g_loss_nonsaturating(self.D(self.G(z, y, gen, cfg.mixing), y))
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_G.step()
        self.D.requires_grad_(True)
        return {
            "d_loss": float(d_loss.detach()),
            "g_loss": float(g_loss.detach()),
            "r1": float(r1.detach()),
        }

    @torch.no_grad()
    def generate(
        self, n, gen, labels, sampler, steps, eta, guidance, clip_sample=False, variance="beta"
    ) -> torch.Tensor:
        self.G.eval()
        z = torch.randn(n, self.cfg.z_dim, generator=gen)
        if labels is None and self.num_classes:
            labels = self._labels(n, gen)
        return self.G(z, labels, gen)
