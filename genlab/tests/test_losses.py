"""VAE KL and ELBO terms, GAN losses and the WGAN-GP penalty against analytic values."""

import math

import torch
from torch import nn

from genlab.gan import d_loss_minimax, g_loss_minimax, g_loss_nonsaturating, gradient_penalty
from genlab.vae import kl_normal_std, log_px_gaussian


def test_kl_term_equals_the_analytic_value_for_known_gaussians() -> None:
    mu = torch.tensor([[0.0, 1.0, -2.0]])
    sigma = torch.tensor([[1.0, 0.5, 2.0]])
    # KL(N(mu, s^2) || N(0, 1)) = log(1/s) + (s^2 + mu^2)/2 - 1/2, summed over dims
    expected = sum(
        math.log(1 / s) + (s * s + m * m) / 2 - 0.5
        for m, s in zip(mu[0].tolist(), sigma[0].tolist(), strict=True)
    )
    got = kl_normal_std(mu, 2 * sigma.log())
    assert math.isclose(float(got), expected, rel_tol=1e-6)
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, sigma), torch.distributions.Normal(0.0, 1.0)
    ).sum()
    assert math.isclose(float(got), float(ref), rel_tol=1e-6)
    assert float(kl_normal_std(torch.zeros(1, 4), torch.zeros(1, 4))) == 0.0


def test_gaussian_log_likelihood_matches_torch_distributions() -> None:
    x = torch.tensor([[0.3, -1.2]])
    mean = torch.tensor([[0.0, -1.0]])
    log_sigma = torch.tensor([0.1, -0.7])
    ref = torch.distributions.Normal(mean, log_sigma.exp()).log_prob(x).sum()
    assert torch.isclose(log_px_gaussian(mean, log_sigma, x)[0], ref)


def test_wgan_gp_penalty_is_right_on_a_linear_critic() -> None:
    class Linear(nn.Module):
        def __init__(self, w: torch.Tensor) -> None:
            super().__init__()
            self.w = w

        def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
            return x.flatten(1) @ self.w + 0.7

    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, 3, generator=g), torch.randn(64, 3, generator=g)
    for w, norm in ((torch.tensor([3.0, 4.0, 0.0]), 5.0), (torch.tensor([0.6, 0.0, 0.8]), 1.0)):
        # grad of a linear critic is w everywhere: penalty = (||w|| - 1)^2
        gp = gradient_penalty(Linear(w), real, fake, g)
        assert math.isclose(float(gp), (norm - 1) ** 2, rel_tol=1e-6, abs_tol=1e-9)


def test_gan_losses_at_known_discriminator_outputs() -> None:
    # D = sigmoid(logit) = 1/2 everywhere: value of eq. 1 is 2 log(1/2)
    half = torch.zeros(10)
    assert math.isclose(float(d_loss_minimax(half, half)), 2 * math.log(2), rel_tol=1e-6)
    assert math.isclose(float(g_loss_minimax(half)), -math.log(2), rel_tol=1e-6)
    assert math.isclose(float(g_loss_nonsaturating(half)), math.log(2), rel_tol=1e-6)
    # the minimax generator loss saturates when D confidently rejects fakes; the other does not
    sure_fake = torch.full((10,), -10.0, requires_grad=True)
    (gm,) = torch.autograd.grad(g_loss_minimax(sure_fake), sure_fake)
    (gn,) = torch.autograd.grad(g_loss_nonsaturating(sure_fake), sure_fake)
    assert gm.abs().max() < 1e-4 < gn.abs().max()


def test_latent_interpolation_runs_between_the_two_codes() -> None:
    from genlab.vae import VAE, interpolate

    torch.manual_seed(0)
    vae = VAE((1, 8, 8), z_dim=4, likelihood="bernoulli", width=8, hidden=16).eval()
    z0, z1 = torch.zeros(4), torch.ones(4)
    path = interpolate(vae, z0, z1, 5)
    assert path.shape == (5, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(path[0], vae.decode_mean(z0[None])[0])
        assert torch.allclose(path[-1], vae.decode_mean(z1[None])[0])
        assert torch.allclose(path[2], vae.decode_mean((0.5 * (z0 + z1))[None])[0])
