"""The diffusion equations against closed forms and against diffusers' schedulers."""

import math

import pytest
import torch

from genlab.diffusion import (
    NoiseSchedule,
    ddim_pairs,
    ddim_step,
    ddim_timesteps,
    ddpm_step,
    q_sample,
    q_step,
)
from genlab.nets import timestep_embedding

diffusers = pytest.importorskip("diffusers")


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_closed_form_q_matches_iterating_single_steps_in_distribution(kind: str) -> None:
    sched = NoiseSchedule.make(kind, T=200)
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([1.5, -0.5, 0.0]).repeat(40000, 1)
    t = 120
    x = x0.clone()
    for s in range(t + 1):  # x_0 -> x_1 -> ... -> x_{t} (0-indexed t is the paper's t+1)
        x = q_step(sched, x, s, torch.randn(x.shape, generator=g))
    direct = q_sample(sched, x0, torch.full((len(x0),), t), torch.randn(x0.shape, generator=g))
    ab = sched.alpha_bar[t]
    # both are N(sqrt(ab) x0, (1 - ab) I): compare means and stds with the closed form
    for sample in (x, direct):
        assert torch.allclose(sample.mean(0), ab.sqrt() * x0[0], atol=0.02)
        assert torch.allclose(sample.std(0), (1 - ab).sqrt().expand(3), atol=0.02)


def test_schedules_match_diffusers() -> None:
    from diffusers import DDPMScheduler

    for ours, theirs in (("linear", "linear"), ("cosine", "squaredcos_cap_v2")):
        d = DDPMScheduler(num_train_timesteps=1000, beta_schedule=theirs)
        s = NoiseSchedule.make(ours, 1000)
        assert torch.allclose(s.betas, d.betas.float(), atol=1e-6)
        assert torch.allclose(s.alpha_bar, d.alphas_cumprod.float(), atol=1e-6)


def test_add_noise_matches_diffusers() -> None:
    from diffusers import DDPMScheduler

    d = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear")
    s = NoiseSchedule.make("linear", 1000)
    g = torch.Generator().manual_seed(1)
    x0 = torch.randn(8, 1, 8, 8, generator=g)
    eps = torch.randn(8, 1, 8, 8, generator=g)
    t = torch.tensor([0, 1, 10, 100, 500, 900, 998, 999])
    assert torch.allclose(q_sample(s, x0, t, eps), d.add_noise(x0, eps, t), atol=2e-5)


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_one_ddim_step_matches_diffusers(eta: float) -> None:
    from diffusers import DDIMScheduler

    # diffusers defaults: timestep_spacing="leading", set_alpha_to_one=True; no clipping here
    d = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False)
    d.set_timesteps(50)
    assert d.timesteps.tolist() == ddim_timesteps(1000, 50)
    s = NoiseSchedule.make("linear", 1000)
    g = torch.Generator().manual_seed(2)
    x_t = torch.randn(4, 1, 8, 8, generator=g)
    eps = torch.randn(4, 1, 8, 8, generator=g)
    z = torch.randn(4, 1, 8, 8, generator=g)
    for t in (980, 500, 20, 0):
        theirs = d.step(eps, t, x_t, eta=eta, variance_noise=z).prev_sample
        ours = ddim_step(s, x_t, eps, t, t - 20, eta, z)
        assert torch.allclose(ours, theirs, atol=1e-5), t


@pytest.mark.parametrize(("T", "steps"), [(1000, 50), (1000, 20), (100, 7), (1000, 1000)])
def test_quadratic_spacing_is_the_ddim_codes_quad_skip(T: int, steps: int) -> None:
    """ermongroup/ddim runners/diffusion.py, skip_type "quad":
    seq = [int(s) for s in np.linspace(0, np.sqrt(T * 0.8), S) ** 2], visited in reverse with
    seq_next = [-1] + seq[:-1]."""
    import numpy as np

    from genlab.diffusion import ddim_pairs

    seq = [int(s) for s in list(np.linspace(0, np.sqrt(T * 0.8), steps) ** 2)]
    seq_next = [-1, *seq[:-1]]
    assert ddim_timesteps(T, steps, "quadratic") == seq[::-1]
    assert ddim_pairs(T, steps, "quadratic") == list(zip(seq[::-1], seq_next[::-1], strict=True))
    assert ddim_timesteps(T, steps, "quadratic")[0] == int(0.8 * T) or steps == 1


@pytest.mark.parametrize("spacing", ["leading", "trailing"])
@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_one_clipped_ddim_step_matches_diffusers(spacing: str, eta: float) -> None:
    from diffusers import DDIMScheduler

    # diffusers' clip_sample=True (range 1, use_clipped_model_output=False) = our clip_sample;
    # cosine schedule, where alpha_bar near T is ~1e-3 and x0_pred is far outside [-1, 1]
    d = DDIMScheduler(
        num_train_timesteps=1000,
        beta_schedule="squaredcos_cap_v2",
        clip_sample=True,
        timestep_spacing=spacing,
    )
    d.set_timesteps(50)
    assert d.timesteps.tolist() == ddim_timesteps(1000, 50, spacing)
    s = NoiseSchedule.make("cosine", 1000)
    g = torch.Generator().manual_seed(4)
    x_t = torch.randn(4, 1, 8, 8, generator=g) * 1.5
    eps = torch.randn(4, 1, 8, 8, generator=g)
    z = torch.randn(4, 1, 8, 8, generator=g)
    clipped = 0
    for t, t_prev in ddim_pairs(1000, 50, spacing):
        if t not in (d.timesteps[0], 500 + (spacing == "trailing") * 19, d.timesteps[-1]):
            continue
        theirs = d.step(eps, t, x_t, eta=eta, variance_noise=z).prev_sample
        ours = ddim_step(s, x_t, eps, t, t_prev, eta, z, clip_sample=True)
        assert torch.allclose(ours, theirs, atol=1e-4), t
        unclipped = ddim_step(s, x_t, eps, t, t_prev, eta, z)
        clipped += int(not torch.allclose(ours, unclipped, atol=1e-4))
    assert clipped >= 2  # the clipping did act


def test_one_ddpm_step_matches_diffusers_posterior() -> None:
    from diffusers import DDPMScheduler

    d = DDPMScheduler(num_train_timesteps=1000, clip_sample=False, variance_type="fixed_small")
    s = NoiseSchedule.make("linear", 1000)
    g = torch.Generator().manual_seed(3)
    x_t = torch.randn(4, 1, 8, 8, generator=g)
    eps = torch.randn(4, 1, 8, 8, generator=g)
    for t in (999, 400, 10, 1):
        theirs = d.step(eps, t, x_t, generator=torch.Generator().manual_seed(7)).prev_sample
        z = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(7))
        ours = ddpm_step(s, x_t, eps, t, z, variance="beta_tilde")
        # Algorithm 2 form vs diffusers' x0 form: float32 cancellation in 1 - alpha_bar at small t
        assert torch.allclose(ours, theirs, atol=1e-4 if t >= 10 else 1e-3), t


def test_timestep_embedding_matches_diffusers_convention() -> None:
    from diffusers.models.embeddings import get_timestep_embedding

    t = torch.tensor([0, 1, 17, 999])
    theirs = get_timestep_embedding(t, 32, flip_sin_to_cos=True, downscale_freq_shift=0)
    assert torch.allclose(timestep_embedding(t, 32), theirs, atol=1e-5)


def test_ddim_with_all_steps_and_eta_one_has_ddpm_variance() -> None:
    # DDIM eq. 16 with eta = 1 and consecutive steps gives sigma^2 = beta_tilde
    s = NoiseSchedule.make("linear", 1000)
    t = 500
    x = torch.zeros(1)
    eps = torch.zeros(1)
    z = torch.ones(1)
    ab, ab_prev = s.alpha_bar[t], s.alpha_bar[t - 1]
    beta_tilde = (1 - ab_prev) / (1 - ab) * s.betas[t]
    got = ddim_step(s, x, eps, t, t - 1, 1.0, z)
    assert math.isclose(float(got), float(beta_tilde.sqrt()), rel_tol=1e-4)


def _reference_sample(
    sched, eps_theta, shape, gen, y, w, k, sampler, steps=50, eta=0.0, clip=False, spacing="leading"
):
    """The samplers written directly from the step functions (no precomputed coefficients)."""
    from genlab.diffusion import guided_eps

    x = torch.randn(shape, generator=gen)
    if sampler == "ddpm":
        for t in range(sched.T - 1, -1, -1):
            tt = torch.full((shape[0],), t, dtype=torch.long)
            eps = guided_eps(eps_theta, x, tt, y, w, k)
            z = torch.randn(shape, generator=gen) if t > 0 else torch.zeros(shape)
            x = ddpm_step(sched, x, eps, t, z)
        return x
    for t, t_prev in ddim_pairs(sched.T, steps, spacing):
        tt = torch.full((shape[0],), t, dtype=torch.long)
        eps = guided_eps(eps_theta, x, tt, y, w, k)
        z = torch.randn(shape, generator=gen) if eta > 0 else None
        x = ddim_step(sched, x, eps, t, t_prev, eta, z, clip_sample=clip)
    return x


@pytest.mark.parametrize(
    ("sampler", "eta", "guidance", "clip", "spacing"),
    [
        ("ddpm", 0.0, 0.0, False, "leading"),
        ("ddpm", 0.0, 2.0, False, "leading"),
        ("ddim", 0.0, 2.0, False, "leading"),
        ("ddim", 0.5, 0.0, False, "leading"),
        ("ddim", 0.0, 2.0, True, "leading"),
        ("ddim", 0.0, 2.0, True, "trailing"),
        ("ddim", 0.5, 0.0, False, "trailing"),
        ("ddim", 0.0, 0.0, False, "quadratic"),
        ("ddim", 1.0, 2.0, False, "quadratic"),
    ],
)
def test_fast_samplers_equal_the_step_by_step_equations(
    sampler: str, eta: float, guidance: float, clip: bool, spacing: str
) -> None:
    from genlab.diffusion import ddim_sample, ddpm_sample
    from genlab.nets import EpsMLP

    torch.manual_seed(0)
    net = EpsMLP(2, 16, 1, num_classes=3).eval()
    sched = NoiseSchedule.make("linear", 100)
    y = torch.tensor([0, 1, 2, 1])
    gen0 = torch.Generator().manual_seed(3)
    ref = _reference_sample(
        sched, net, (4, 2), gen0, y, guidance, 3, sampler, 7, eta, clip, spacing
    )
    gen = torch.Generator().manual_seed(3)
    if sampler == "ddpm":
        got = ddpm_sample(net, sched, (4, 2), gen, y, guidance, 3)
    else:
        got = ddim_sample(
            net, sched, (4, 2), gen, 7, eta, y, guidance, 3, clip_sample=clip, spacing=spacing
        )
    assert torch.allclose(got, ref, rtol=1e-4, atol=1e-4)
