"""VQ-VAE (van den Oord et al. 2017, "Neural Discrete Representation Learning"): an encoder,
nearest-code quantisation against a learned codebook, the straight-through gradient, the loss of
eq. 3 (reconstruction + codebook + beta commitment), and, as in the paper, an autoregressive
PixelCNN prior over the grid of code indices (class-conditional when the model is). Samples:
codes drawn from the prior one position at a time (raster order), then decoded."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from genlab.autoencoders import VQVAE, codebook_usage
from genlab.data import Dataset
from genlab.family import Family


class MaskedConv2d(nn.Conv2d):
    """PixelCNN (van den Oord et al. 2016) masked convolution: type A sees only the positions
    before the centre in raster order, type B the centre too."""

    def __init__(self, cin: int, cout: int, k: int, mask_type: str) -> None:
        super().__init__(cin, cout, k, padding=k // 2)
        mask = torch.ones(cout, cin, k, k)
        c = k // 2
        mask[:, :, c, c + (1 if mask_type == "B" else 0) :] = 0
        mask[:, :, c + 1 :, :] = 0
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCNNPrior(nn.Module):
    """p(k_ij | k_<ij, y): a type-A 7x7 masked conv on code embeddings, residual type-B 3x3
    layers, a 1x1 head to K logits. A plain PixelCNN (it has the known blind spot of stacked
    masks); the class embedding is added before every layer."""

    def __init__(self, num_codes: int, hidden: int, layers: int, num_classes: int = 0) -> None:
        super().__init__()
        self.embed = nn.Embedding(num_codes, hidden)
        self.label = nn.Embedding(num_classes, hidden) if num_classes else None
        self.inp = MaskedConv2d(hidden, hidden, 7, "A")
        self.layers = nn.ModuleList([MaskedConv2d(hidden, hidden, 3, "B") for _ in range(layers)])
        self.out = nn.Conv2d(hidden, num_codes, 1)

    def forward(self, idx: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.inp(self.embed(idx).permute(0, 3, 1, 2))
        cond = self.label(y)[:, :, None, None] if self.label is not None and y is not None else 0
        for layer in self.layers:
            h = h + layer(F.relu(h + cond))
        return self.out(F.relu(h))

    @torch.no_grad()
    def sample(
        self, n: int, size: tuple[int, int], gen: torch.Generator, y: torch.Tensor | None
    ) -> torch.Tensor:
        idx = torch.zeros((n, *size), dtype=torch.long)
        for i in range(size[0]):
            for j in range(size[1]):
                probs = F.softmax(self(idx, y)[:, :, i, j], dim=1)
                idx[:, i, j] = torch.multinomial(probs, 1, generator=gen)[:, 0]
        return idx


class VQVAEFamily(Family):
    """Steps [0, vae_steps) train the VQ-VAE (eq. 3); the next `steps` train the prior by
    maximum likelihood on the codes of training images (the VQ-VAE frozen, as in the paper)."""

    name = "vqvae"

    def __init__(self, cfg, spec) -> None:
        super().__init__(cfg, spec)
        c, s = spec.shape[0], spec.shape[1]
        self.grid = (s // 4, s // 4)
        self.vq = VQVAE(c, cfg.codebook_size, cfg.z_channels, cfg.width)
        self.vq_opt = torch.optim.Adam(self.vq.parameters(), lr=cfg.lr)
        self.prior = PixelCNNPrior(
            cfg.codebook_size, cfg.hidden, cfg.prior_layers, self.num_classes
        )
        self.prior_opt = torch.optim.Adam(self.prior.parameters(), lr=cfg.lr)

    def total_steps(self) -> int:
        return self.cfg.vae_steps + self.cfg.steps

    def trained_modules(self) -> dict[str, nn.Module]:
        return {"vq": self.vq, "prior": self.prior}

    def sampling_modules(self) -> dict[str, nn.Module]:
        return {"vq": self.vq, "prior": self.prior}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"vq": self.vq_opt, "prior": self.prior_opt}

    def vq_step(self, data: Dataset, gen: torch.Generator) -> dict[str, float]:
        self.vq.train()
        x, _ = self.batch(data, gen)
        if not float(self.vq.quantizer.ready):
            with torch.no_grad():
                self.vq.quantizer.init_from(self.vq.encoder(x), gen)
        loss, terms, idx = self.vq.loss(x, self.cfg.commitment)
        self.vq_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.vq_opt.step()
        perplexity, used = codebook_usage(idx, self.cfg.codebook_size)
        out = {"loss": float(loss.detach())}
        out.update({k: float(v.detach()) for k, v in terms.items()})
        out.update({"perplexity": perplexity, "used_codes": float(used)})
        return out

    def prior_step(self, data: Dataset, gen: torch.Generator) -> dict[str, float]:
        self.vq.eval()
        self.prior.train()
        x, y = self.batch(data, gen)
        with torch.no_grad():
            idx = self.vq.codes(x)
        nll = F.cross_entropy(self.prior(idx, y), idx)
        self.prior_opt.zero_grad(set_to_none=True)
        nll.backward()
        self.prior_opt.step()
        return {"prior_nll": float(nll.detach())}  # nats per code position

    def train_step(self, data: Dataset, gen: torch.Generator, step: int) -> dict[str, float]:
        if step < self.cfg.vae_steps:
            return self.vq_step(data, gen)
        return self.prior_step(data, gen)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        self.vq.eval()
        return self.vq.reconstruct(x)

    @torch.no_grad()
    def final_metrics(self, val: Dataset) -> dict[str, float]:
        """Held-out reconstruction MSE, codebook perplexity and codes used, the prior's NLL."""
        self.vq.eval()
        self.prior.eval()
        x = val.x[:500]
        idx = self.vq.codes(x)
        perplexity, used = codebook_usage(idx, self.cfg.codebook_size)
        y = val.y[:500] if (val.y is not None and self.num_classes) else None
        return {
            "heldout_mse": float(F.mse_loss(self.vq.decode_codes(idx), x)),
            "heldout_perplexity": perplexity,
            "heldout_used_codes": float(used),
            "heldout_prior_nll": float(F.cross_entropy(self.prior(idx, y), idx)),
        }

    @torch.no_grad()
    def generate(
        self, n, gen, labels, sampler, steps, eta, guidance, clip_sample=False, variance="beta"
    ) -> torch.Tensor:
        self.vq.eval()
        self.prior.eval()
        return self.vq.decode_codes(self.prior.sample(n, self.grid, gen, labels))
