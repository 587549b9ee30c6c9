"""The diffusion families the driver trains: eps_theta, its EMA and Adam, trained with DDPM's
L_simple (genlab.diffusion.eps_loss) and sampled with the EMA weights. EpsFamily holds the
training step shared by pixel-space diffusion (DiffusionFamily) and latent diffusion
(genlab.latent.LatentFamily); they differ only in what the network is trained on
(diffusion_input)."""

from __future__ import annotations

import torch
from torch import nn

from genlab.data import Dataset
from genlab.diffusion import (
    EpsModel,
    NoiseSchedule,
    VPrediction,
    ddim_sample,
    ddpm_sample,
    eps_loss,
    v_loss,
)
from genlab.family import EMA, Family
from genlab.nets import EpsMLP, UNet


def make_eps_net(cfg, shape: tuple[int, ...], num_classes: int) -> nn.Module:
    if len(shape) == 1:
        return EpsMLP(shape[0], cfg.hidden, 3, num_classes)
    return UNet(shape[0], cfg.base, tuple(cfg.mults), num_classes, cfg.attention)


def sample_with(
    eps_theta: EpsModel,
    sched: NoiseSchedule,
    shape: tuple[int, ...],
    gen: torch.Generator,
    sampler: str,
    steps: int,
    eta: float,
    y: torch.Tensor | None,
    guidance: float,
    num_classes: int,
    clip_sample: bool = False,
    variance: str = "beta",
) -> torch.Tensor:
    if sampler == "ddpm":
        return ddpm_sample(eps_theta, sched, shape, gen, y, guidance, num_classes, variance)
    return ddim_sample(
        eps_theta, sched, shape, gen, steps, eta, y, guidance, num_classes, clip_sample=clip_sample
    )


def early_eps_modules(net: nn.Module) -> list[nn.Module]:
    return eps_stages(net)[0]


def eps_stages(net: nn.Module) -> list[list[nn.Module]]:
    """A UNet's resolution levels on the way down (the input convolution with the first); an
    EpsMLP's blocks (the input layer with the first)."""
    if isinstance(net, UNet):
        levels = [[d, s] for d, s in zip(net.down, net.downsample, strict=True)]
    else:
        levels = [[b] for b in net.blocks]
    levels[0].insert(0, net.inp)
    return levels


class EpsFamily(Family):
    """A family with a noise-prediction network trained by L_simple. Subclasses set `sched`,
    `eps_theta`, `ema` and `opt` in __init__ and may override diffusion_input."""

    sched: NoiseSchedule
    eps_theta: nn.Module
    ema: EMA
    opt: torch.optim.Optimizer

    def extra_state(self) -> dict:
        return {"ema_updates": self.ema.updates}

    def load_extra_state(self, state: dict) -> None:
        self.ema.updates = int(state.get("ema_updates", 0))

    def default_sampler(self) -> str:
        return "ddim"

    def eps_net(self) -> nn.Module:
        """The EMA network in eval mode as eps_theta(x_t, t, y), what the samplers and the
        held-out denoising loss call: itself, or wrapped by VPrediction for a v-model."""
        net = self.ema.shadow.eval()
        return VPrediction(net, self.sched) if self.cfg.prediction == "v" else net

    def samplers(self) -> tuple[str, ...]:
        return ("ddpm", "ddim")

    def diffusion_input(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """x_0 of the forward process for a data batch x (the data itself by default)."""
        return x

    def eps_train_step(self, data: Dataset, gen: torch.Generator, lr_step: int) -> dict[str, float]:
        """One Adam step on eps_loss (v_loss for prediction "v") for a batch of
        diffusion_input(x), then the EMA update;
        lr_step is the step the learning-rate schedule sees."""
        self.eps_theta.train()
        self.set_lr(self.opt, lr_step)
        x, y = self.batch(data, gen)
        x0 = self.diffusion_input(x, gen)
        loss_fn = v_loss if self.cfg.prediction == "v" else eps_loss
        loss = loss_fn(self.eps_theta, self.sched, x0, y, gen, self.cfg.p_uncond, self.num_classes)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.cfg.grad_clip:
            nn.utils.clip_grad_norm_(self.eps_theta.parameters(), self.cfg.grad_clip)
        self.opt.step()
        self.ema.update(self.eps_theta)
        return {"loss": float(loss.detach())}


class DiffusionFamily(EpsFamily):
    name = "diffusion"

    def __init__(self, cfg, spec) -> None:
        super().__init__(cfg, spec)
        self.sched = NoiseSchedule.make(cfg.schedule, cfg.T, cfg.schedule_version)
        self.eps_theta = make_eps_net(cfg, spec.shape, self.num_classes)
        self.ema = EMA(self.eps_theta, cfg.ema_decay)
        # The UNet trains in channels_last (NHWC): oneDNN's convolutions run 5-10 % faster that
        # way on this CPU (bench/genlab.py item 1). Only the trained copy: the EMA weights that
        # are saved and sampled stay in the default layout, so sampling, and with it every
        # recipe's images, is unchanged.
        self.channels_last = isinstance(self.eps_theta, UNet)
        if self.channels_last:
            self.eps_theta.to(memory_format=torch.channels_last)
        self.opt = torch.optim.Adam(self.eps_theta.parameters(), lr=cfg.lr)

    def trained_modules(self) -> dict[str, nn.Module]:
        return {"eps_theta": self.eps_theta, "ema": self.ema.shadow}

    def sampling_modules(self) -> dict[str, nn.Module]:
        return {"eps_theta": self.ema.shadow}  # sample with EMA weights (DDPM sec. 4)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"eps_theta": self.opt}

    def early_modules(self) -> list[nn.Module]:
        """UNet: the input convolution and the first resolution level; MLP: input layer and
        first block."""
        return early_eps_modules(self.eps_theta)

    def freeze_stages(self) -> list[list[nn.Module]]:
        return eps_stages(self.eps_theta)

    def diffusion_input(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        if self.channels_last:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    def train_step(self, data: Dataset, gen: torch.Generator, step: int) -> dict[str, float]:
        return self.eps_train_step(data, gen, step)

    @torch.no_grad()
    def generate(
        self, n, gen, labels, sampler, steps, eta, guidance, clip_sample=False, variance="beta"
    ) -> torch.Tensor:
        net = self.eps_net()
        shape = (n, *self.spec.shape)
        return sample_with(
            net,
            self.sched,
            shape,
            gen,
            sampler,
            steps,
            eta,
            labels,
            guidance,
            self.num_classes,
            clip_sample=clip_sample and self.spec.kind == "image",
            variance=variance,
        )
