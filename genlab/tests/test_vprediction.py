"""v-prediction (Salimans & Ho 2022): the training target and the sampler step against
diffusers' prediction_type="v_prediction", and what it changes for a member."""

import pytest
import torch

from genlab.config import TrainConfig, resolve_config
from genlab.diffusion import NoiseSchedule, VPrediction, ddim_step, eps_loss, q_sample, v_loss
from genlab.errors import ConfigError

diffusers = pytest.importorskip("diffusers")


def test_the_v_target_is_diffusers_get_velocity() -> None:
    from diffusers import DDPMScheduler

    d = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear")
    s = NoiseSchedule.make("linear", 1000)
    seen = {}

    def net(x_t, t, y):  # records what the loss compares against: target = net output + 0
        seen["x_t"], seen["t"] = x_t, t
        return torch.zeros_like(x_t)

    x0 = torch.randn(6, 3, 4, 4, generator=torch.Generator().manual_seed(1))
    gen = torch.Generator().manual_seed(5)
    loss = v_loss(net, s, x0, None, gen)
    # replay the loss's draws: t, then eps
    replay = torch.Generator().manual_seed(5)
    t = torch.randint(0, 1000, (6,), generator=replay)
    eps = torch.randn(x0.shape, generator=replay)
    v = d.get_velocity(x0, eps, t)
    assert torch.equal(seen["t"], t)
    assert torch.allclose(seen["x_t"], q_sample(s, x0, t, eps), atol=1e-6)
    assert torch.allclose(loss, (v**2).mean(), atol=1e-6)


def test_v_and_eps_losses_draw_the_same_t_eps_and_label_dropout() -> None:
    s = NoiseSchedule.make("linear", 1000)
    calls = []

    def net(x_t, t, y):
        calls.append((x_t.clone(), t.clone(), None if y is None else y.clone()))
        return torch.zeros_like(x_t)

    x0 = torch.randn(16, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    y = torch.arange(16) % 3
    eps_loss(net, s, x0, y, torch.Generator().manual_seed(9), 0.5, 3)
    v_loss(net, s, x0, y, torch.Generator().manual_seed(9), 0.5, 3)
    (xa, ta, ya), (xb, tb, yb) = calls
    assert torch.equal(xa, xb) and torch.equal(ta, tb) and torch.equal(ya, yb)
    assert (ya == 3).any()  # some labels were dropped to the null class


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_a_ddim_step_of_a_v_model_matches_diffusers(eta: float) -> None:
    from diffusers import DDIMScheduler

    d = DDIMScheduler(
        num_train_timesteps=1000,
        beta_schedule="linear",
        clip_sample=False,
        prediction_type="v_prediction",
    )
    d.set_timesteps(50)
    s = NoiseSchedule.make("linear", 1000)
    g = torch.Generator().manual_seed(2)
    x_t = torch.randn(4, 3, 8, 8, generator=g)
    v = torch.randn(4, 3, 8, 8, generator=g)
    z = torch.randn(4, 3, 8, 8, generator=g)
    as_eps = VPrediction(lambda x, t, y: v, s)
    for t in (980, 500, 20, 0):
        theirs = d.step(v, t, x_t, eta=eta, variance_noise=z).prev_sample
        eps = as_eps(x_t, torch.full((4,), t), None)
        ours = ddim_step(s, x_t, eps, t, t - 20, eta, z)
        assert torch.allclose(ours, theirs, atol=1e-4), t


def test_colour_and_member_data_get_v_the_digit_sets_keep_their_eps_and_hashes() -> None:
    assert resolve_config("diffusion", "emoji32").prediction == "v"
    assert resolve_config("diffusion", "/data/my-art.zip").prediction == "v"
    for name in ("mnist5k", "digits"):
        cfg = resolve_config("diffusion", name)
        assert cfg.prediction == "eps"
        assert "prediction" not in cfg.to_json()  # the configs (and zoo hashes) of before
    assert resolve_config("latent-unet", "emoji32").prediction == "eps"
    assert resolve_config("diffusion", "mnist5k", prediction="v").prediction == "v"
    saved = TrainConfig.from_saved(resolve_config("diffusion", "emoji32").to_dict())
    assert saved.prediction == "v"


def test_prediction_is_refused_where_it_means_nothing() -> None:
    with pytest.raises(ConfigError, match="unknown prediction 'x0'"):
        resolve_config("diffusion", "emoji32", prediction="x0")
    with pytest.raises(ConfigError, match="diffusion families, not gan"):
        resolve_config("gan", "mnist5k", prediction="v")
