"""Denoising diffusion (Ho et al. 2020), DDIM (Song et al. 2021), classifier-free guidance
(Ho & Salimans 2022), the v-parameterisation (Salimans & Ho 2022). Timesteps are 0-indexed:
t = 0 is the paper's t = 1 (beta_1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

EpsModel = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]


def linear_betas(
    T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02, rescale: bool = True
) -> torch.Tensor:
    """DDPM sec. 4: betas linear from 1e-4 to 0.02 for T = 1000. With `rescale` both ends are
    multiplied by 1000 / T as improved-DDPM's get_named_beta_schedule("linear") does, so the
    forward process reaches noise for any T (alpha_bar_T ~ 4e-5); without it T = 100 stops at
    alpha_bar_T = 0.36 (schedule version 1, kept for checkpoints made with it)."""
    scale = 1000 / T if rescale else 1.0
    return torch.linspace(beta_1 * scale, beta_T * scale, T, dtype=torch.float64)


def cosine_betas(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Improved DDPM eq. 17: alpha_bar(t) = cos^2(((t/T + s)/(1 + s)) pi/2); beta <= 0.999."""

    def f(t: float) -> float:
        return math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2

    betas = [min(1 - f(i + 1) / f(i), max_beta) for i in range(T)]
    return torch.tensor(betas, dtype=torch.float64)


@dataclass(frozen=True)
class NoiseSchedule:
    betas: torch.Tensor  # beta_t, float32, shape (T,)
    alphas: torch.Tensor  # alpha_t = 1 - beta_t
    alpha_bar: torch.Tensor  # alpha_bar_t = prod_{s<=t} alpha_s

    @property
    def T(self) -> int:
        return int(self.betas.shape[0])

    @classmethod
    def make(cls, kind: str = "linear", T: int = 1000, version: int = 2) -> NoiseSchedule:
        """version (TrainConfig.schedule_version): 1 keeps the linear range 1e-4..0.02 for every
        T, 2 scales it by 1000 / T; the same for T = 1000 and for the cosine schedule."""
        if kind == "linear":
            betas = linear_betas(T, rescale=version >= 2)
        elif kind == "cosine":
            betas = cosine_betas(T)
        else:
            from genlab.errors import ConfigError

            raise ConfigError(f"unknown beta schedule {kind!r}; use 'linear' or 'cosine'")
        alphas = 1 - betas
        alpha_bar = torch.cumprod(alphas, 0)
        return cls(betas.float(), alphas.float(), alpha_bar.float())


def _bcast(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape(-1, *([1] * (x.dim() - 1)))


def q_sample(sched: NoiseSchedule, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor):
    """DDPM eq. 4: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps."""
    ab = _bcast(sched.alpha_bar[t], x0)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def q_step(sched: NoiseSchedule, x_prev: torch.Tensor, t: int, eps: torch.Tensor):
    """DDPM eq. 2: q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)."""
    beta = sched.betas[t]
    return (1 - beta).sqrt() * x_prev + beta.sqrt() * eps


def training_draws(
    sched: NoiseSchedule,
    x0: torch.Tensor,
    y: torch.Tensor | None,
    gen: torch.Generator,
    p_uncond: float = 0.0,
    num_classes: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """One training example's draws, in this order: t uniform in [0, T), eps ~ N(0, I), and with
    labels each replaced by the null class with probability p_uncond (CFG training); returns
    (t, eps, x_t, y). Both parameterisations train on them, so a recipe's draws do not depend
    on which one it uses."""
    b = x0.shape[0]
    t = torch.randint(0, sched.T, (b,), generator=gen)
    eps = torch.randn(x0.shape, generator=gen)
    if y is not None and p_uncond > 0:
        drop = torch.rand(b, generator=gen) < p_uncond
        y = torch.where(drop, torch.full_like(y, num_classes), y)
    return t, eps, q_sample(sched, x0, t, eps), y


def eps_loss(
    eps_theta: EpsModel,
    sched: NoiseSchedule,
    x0: torch.Tensor,
    y: torch.Tensor | None,
    gen: torch.Generator,
    p_uncond: float = 0.0,
    num_classes: int = 0,
) -> torch.Tensor:
    """DDPM eq. 14 (L_simple): E ||eps - eps_theta(sqrt(ab) x_0 + sqrt(1-ab) eps, t)||^2.
    With labels, each is replaced by the null class with probability p_uncond (CFG training)."""
    t, eps, x_t, y = training_draws(sched, x0, y, gen, p_uncond, num_classes)
    return ((eps - eps_theta(x_t, t, y)) ** 2).mean()


def v_loss(
    net: EpsModel,
    sched: NoiseSchedule,
    x0: torch.Tensor,
    y: torch.Tensor | None,
    gen: torch.Generator,
    p_uncond: float = 0.0,
    num_classes: int = 0,
) -> torch.Tensor:
    """L_simple with the v-parameterisation (Salimans & Ho 2022, sec. 4; diffusers'
    prediction_type="v_prediction"): the network predicts v = sqrt(ab) eps - sqrt(1-ab) x_0
    from the same x_t, with the same draws of t, eps and label dropout as eps_loss. At high
    noise eps is almost x_t itself, so an eps network must be exact to 1e-3 there, and its
    error is multiplied by 1 / sqrt(ab) (~160 at t = T) in the x_0 the samplers derive; an
    error in v reaches x_0 undivided (x_0 = sqrt(ab) x_t - sqrt(1-ab) v)."""
    t, eps, x_t, y = training_draws(sched, x0, y, gen, p_uncond, num_classes)
    ab = _bcast(sched.alpha_bar[t], x0)
    v = ab.sqrt() * eps - (1 - ab).sqrt() * x0
    return ((v - net(x_t, t, y)) ** 2).mean()


class VPrediction(nn.Module):
    """A v-predicting network seen as eps_theta, so every sampler, guidance (CFG is linear in
    the output, and this map is affine in v for a fixed x_t) and metric stays one code path:
    eps = sqrt(ab_t) v + sqrt(1 - ab_t) x_t."""

    def __init__(self, net: nn.Module, sched: NoiseSchedule) -> None:
        super().__init__()
        self.net = net
        self.sched = sched

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None):
        ab = _bcast(self.sched.alpha_bar[t], x)
        return ab.sqrt() * self.net(x, t, y) + (1 - ab).sqrt() * x


def guided_eps(
    eps_theta: EpsModel,
    x_t: torch.Tensor,
    t: torch.Tensor,
    y: torch.Tensor | None,
    guidance: float,
    num_classes: int,
) -> torch.Tensor:
    """CFG eq. 6: eps = (1 + w) eps_theta(x_t, c) - w eps_theta(x_t, null)."""
    if y is None or guidance == 0:
        return eps_theta(x_t, t, y)
    null = torch.full_like(y, num_classes)
    both = eps_theta(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([y, null]))
    eps_c, eps_u = both.chunk(2)
    return (1 + guidance) * eps_c - guidance * eps_u


def ddpm_step(
    sched: NoiseSchedule,
    x_t: torch.Tensor,
    eps: torch.Tensor,
    t: int,
    z: torch.Tensor,
    variance: str = "beta",
) -> torch.Tensor:
    """DDPM Algorithm 2: x_{t-1} = (x_t - beta_t / sqrt(1 - ab_t) eps) / sqrt(alpha_t) + sigma_t z
    with sigma_t^2 = beta_t ('beta') or beta_tilde_t = (1 - ab_{t-1}) / (1 - ab_t) beta_t."""
    beta, alpha, ab = sched.betas[t], sched.alphas[t], sched.alpha_bar[t]
    mean = (x_t - beta / (1 - ab).sqrt() * eps) / alpha.sqrt()
    if t == 0:
        return mean
    beta_tilde = (1 - sched.alpha_bar[t - 1]) / (1 - ab) * beta  # DDPM eq. 7
    var = beta if variance == "beta" else beta_tilde
    return mean + var.sqrt() * z


def ddim_step(
    sched: NoiseSchedule,
    x_t: torch.Tensor,
    eps: torch.Tensor,
    t: int,
    t_prev: int,
    eta: float,
    z: torch.Tensor | None,
    clip_sample: bool = False,
) -> torch.Tensor:
    """DDIM eq. 12:
    x_prev = sqrt(ab_prev) x0_pred + sqrt(1 - ab_prev - sigma^2) eps + sigma z,
    x0_pred = (x_t - sqrt(1 - ab) eps) / sqrt(ab); alpha_bar at t_prev < 0 is 1 (diffusers'
    set_alpha_to_one). sigma from eq. 16 scaled by eta. clip_sample clamps x0_pred to [-1, 1]
    before it is used, as diffusers' DDIMScheduler(clip_sample=True, clip_sample_range=1.0,
    use_clipped_model_output=False): the direction term keeps the network's eps."""
    ab = sched.alpha_bar[t]
    ab_prev = sched.alpha_bar[t_prev] if t_prev >= 0 else torch.tensor(1.0)
    x0_pred = (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()
    if clip_sample:
        x0_pred = x0_pred.clamp(-1, 1)
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()  # DDIM eq. 16
    direction = (1 - ab_prev - sigma**2).clamp(min=0).sqrt() * eps
    x_prev = ab_prev.sqrt() * x0_pred + direction
    if eta > 0 and z is not None:
        x_prev = x_prev + sigma * z
    return x_prev


SPACINGS = ("leading", "trailing", "quadratic")


def ddim_timesteps(T: int, steps: int, spacing: str = "leading") -> list[int]:
    """The DDIM subsequence tau, descending, as diffusers' DDIMScheduler.set_timesteps:
    'leading' (the DDIM code's uniform skip): 0, T/S, 2T/S, ... reversed (first step T - T/S);
    'trailing' (Lin et al. 2024, "Common diffusion noise schedules ... are flawed", table 2):
    round(T, T - T/S, ..., T/S) - 1, so sampling starts at t = T - 1 where x_T ~ N(0, I) holds;
    'quadratic' (the DDIM code's skip_type "quad", DDIM paper appendix D.2, used there for
    CIFAR-10): int(linspace(0, sqrt(0.8 T), S)^2), denser at low noise, first step at 0.8 T."""
    steps = max(1, min(steps, T))
    if spacing == "leading":
        stride = T // steps
        return [i * stride for i in range(steps)][::-1]
    if spacing == "trailing":
        return [round(T - i * T / steps) - 1 for i in range(steps)]
    if spacing == "quadratic":
        # float64 as numpy in the reference; int() truncates. Small S/T can repeat a value.
        grid = torch.linspace(0, (T * 0.8) ** 0.5, steps, dtype=torch.float64) ** 2
        return [int(v) for v in grid.tolist()][::-1]
    from genlab.errors import ConfigError

    raise ConfigError(
        f"unknown timestep spacing {spacing!r}; use 'leading', 'trailing' or 'quadratic'"
    )


def ddim_pairs(T: int, steps: int, spacing: str = "leading") -> list[tuple[int, int]]:
    """(t, t_prev) for each DDIM step; the last step goes to t_prev = -1 (alpha_bar = 1)."""
    ts = ddim_timesteps(T, steps, spacing)
    return list(zip(ts, [*ts[1:], -1], strict=True))


class _GuidedCaller:
    """eps_theta with classifier-free guidance for one sampling run: the doubled label batch and
    the timestep/input buffers are built once, not per step (the sampler loop is otherwise
    allocation-bound when the network is small)."""

    def __init__(
        self,
        eps_theta: EpsModel,
        shape: tuple[int, ...],
        y: torch.Tensor | None,
        guidance: float,
        num_classes: int,
    ) -> None:
        self.eps_theta, self.guidance = eps_theta, guidance
        self.guided = y is not None and guidance != 0
        n = shape[0]
        if self.guided:
            assert y is not None
            self.y: torch.Tensor | None = torch.cat([y, torch.full_like(y, num_classes)])
            self.x_in = torch.empty((2 * n, *shape[1:]))
            self.t_in = torch.empty(2 * n, dtype=torch.long)
        else:
            self.y = y
            self.x_in = torch.empty(0)
            self.t_in = torch.empty(n, dtype=torch.long)
        self.n = n

    def __call__(self, x: torch.Tensor, t: int) -> torch.Tensor:
        self.t_in.fill_(t)
        if not self.guided:
            return self.eps_theta(x, self.t_in, self.y)
        self.x_in[: self.n].copy_(x)
        self.x_in[self.n :].copy_(x)
        eps_c, eps_u = self.eps_theta(self.x_in, self.t_in, self.y).chunk(2)
        # CFG eq. 6: (1 + w) eps_c - w eps_u = eps_u + (1 + w) (eps_c - eps_u)
        return eps_c.sub_(eps_u).mul_(1 + self.guidance).add_(eps_u)


class DDPMCoefficients(NamedTuple):
    """One step of DDPM Algorithm 2 (eq. 11 plus noise), as Python floats in float64:
    x_{t-1} = sqrt_recip_alpha (x_t - eps_coef eps) + sigma z."""

    t: int
    sqrt_recip_alpha: float  # 1 / sqrt(alpha_t)
    eps_coef: float  # beta_t / sqrt(1 - alpha_bar_t)
    sigma: float  # sigma_t: sqrt(beta_t) or sqrt(beta_tilde_t) (eq. 7); 0 at t = 0


def ddpm_coefficients(sched: NoiseSchedule, variance: str = "beta") -> list[DDPMCoefficients]:
    """The DDPMCoefficients of every step, t = T - 1 down to 0, computed once in float64
    (ddpm_step is the readable reference)."""
    betas = sched.betas.double()
    alphas, ab = 1 - betas, torch.cumprod(1 - betas, 0)
    out = []
    for t in range(sched.T - 1, -1, -1):
        sqrt_recip_alpha = float(1 / alphas[t].sqrt())
        eps_coef = float(betas[t] / (1 - ab[t]).sqrt())
        if t == 0:
            sigma = 0.0
        elif variance == "beta":
            sigma = float(betas[t].sqrt())
        else:
            sigma = float(((1 - ab[t - 1]) / (1 - ab[t]) * betas[t]).sqrt())
        out.append(DDPMCoefficients(t, sqrt_recip_alpha, eps_coef, sigma))
    return out


class DDIMCoefficients(NamedTuple):
    """One step t -> t_prev of DDIM eq. 12 as Python floats in float64. Eq. 12,
    x_prev = sqrt(ab_prev) x0_pred + sqrt(1 - ab_prev - sigma^2) eps + sigma z with
    x0_pred = (x_t - sqrt(1 - ab) eps) / sqrt(ab), expanded in x_t and eps:
    x_prev = x_coef x_t + eps_coef eps + sigma z."""

    t: int
    x_coef: float  # sqrt(ab_prev / ab)
    eps_coef: float  # sqrt(1 - ab_prev - sigma^2) - x_coef sqrt(1 - ab)
    sigma: float  # eta times DDIM eq. 16
    sqrt_alpha_bar: float  # sqrt(ab): x0_pred's divisor, used when clipping
    sqrt_one_minus_alpha_bar: float  # sqrt(1 - ab): x0_pred's eps coefficient


def ddim_coefficients(
    sched: NoiseSchedule, steps: int, eta: float, spacing: str = "leading"
) -> list[DDIMCoefficients]:
    """The DDIMCoefficients of every step of ddim_pairs, computed once in float64
    (ddim_step is the readable reference); alpha_bar at t_prev < 0 is 1."""
    ab_all = torch.cumprod(1 - sched.betas.double(), 0)
    one = torch.tensor(1.0, dtype=torch.float64)
    out = []
    for t, t_prev in ddim_pairs(sched.T, steps, spacing):
        ab = ab_all[t]
        ab_prev = ab_all[t_prev] if t_prev >= 0 else one
        sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()  # DDIM eq. 16
        x_coef = (ab_prev / ab).sqrt()
        eps_coef = (1 - ab_prev - sigma**2).clamp(min=0).sqrt() - x_coef * (1 - ab).sqrt()
        out.append(
            DDIMCoefficients(
                t,
                float(x_coef),
                float(eps_coef),
                float(sigma),
                float(ab.sqrt()),
                float((1 - ab).sqrt()),
            )
        )
    return out


@torch.no_grad()
def ddpm_sample(
    eps_theta: EpsModel,
    sched: NoiseSchedule,
    shape: tuple[int, ...],
    gen: torch.Generator,
    y: torch.Tensor | None = None,
    guidance: float = 0.0,
    num_classes: int = 0,
    variance: str = "beta",
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """DDPM Algorithm 2 over all T steps; all noise comes from `gen`. Coefficients are
    precomputed and x is updated in place, so a step costs one network call plus three fused
    tensor ops."""
    x = torch.randn(shape, generator=gen)
    z = torch.empty(shape)
    call = _GuidedCaller(eps_theta, shape, y, guidance, num_classes)
    coefs = ddpm_coefficients(sched, variance)
    for i, c in enumerate(coefs):
        eps = call(x, c.t)
        # DDPM eq. 11: x = (x_t - beta / sqrt(1 - ab) eps) / sqrt(alpha)
        x.sub_(eps, alpha=c.eps_coef).mul_(c.sqrt_recip_alpha)
        if c.t > 0:
            torch.randn(shape, generator=gen, out=z)
            x.add_(z, alpha=c.sigma)
        if progress:
            progress(i + 1, len(coefs))
    return x


@torch.no_grad()
def ddim_sample(
    eps_theta: EpsModel,
    sched: NoiseSchedule,
    shape: tuple[int, ...],
    gen: torch.Generator,
    steps: int = 50,
    eta: float = 0.0,
    y: torch.Tensor | None = None,
    guidance: float = 0.0,
    num_classes: int = 0,
    progress: Callable[[int, int], None] | None = None,
    clip_sample: bool = False,
    spacing: str = "leading",
) -> torch.Tensor:
    """DDIM sampling over a subsequence of timesteps (ddim_timesteps); eta = 0 is deterministic.
    clip_sample clamps x0_pred to [-1, 1] at every step (ddim_step's clip_sample)."""
    x = torch.randn(shape, generator=gen)
    z = torch.empty(shape)
    x0 = torch.empty(shape)
    call = _GuidedCaller(eps_theta, shape, y, guidance, num_classes)
    coefs = ddim_coefficients(sched, steps, eta, spacing)
    for i, c in enumerate(coefs):
        eps = call(x, c.t)
        if clip_sample:
            # x0_pred = (x_t - sqrt(1 - ab) eps) / sqrt(ab), clamped; then eq. 12 with
            # sqrt(ab_prev) = x_coef sqrt(ab) and
            # sqrt(1 - ab_prev - sigma^2) = eps_coef + x_coef sqrt(1 - ab)
            torch.add(x, eps, alpha=-c.sqrt_one_minus_alpha_bar, out=x0)
            x0.div_(c.sqrt_alpha_bar).clamp_(-1, 1)
            x.copy_(x0).mul_(c.x_coef * c.sqrt_alpha_bar)
            x.add_(eps, alpha=c.eps_coef + c.x_coef * c.sqrt_one_minus_alpha_bar)
        else:
            x.mul_(c.x_coef).add_(eps, alpha=c.eps_coef)  # eq. 12 with the terms in x_t, eps
        if eta > 0:
            torch.randn(shape, generator=gen, out=z)
            x.add_(z, alpha=c.sigma)
        if progress:
            progress(i + 1, len(coefs))
    return x
