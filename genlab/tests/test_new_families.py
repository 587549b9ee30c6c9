"""VQ-VAE, latent diffusion with a spatial latent (latent-unet) and the small StyleGAN: the
equations they claim, and tiny runs that train, save, load and sample from the CLI."""

from __future__ import annotations

import json

import pytest
import torch
from torch.nn import functional as F

from genlab.autoencoders import (
    VQVAE,
    KLAutoencoder,
    VectorQuantizer,
    codebook_usage,
    straight_through,
    vq_loss_terms,
)
from genlab.cli import main
from genlab.config import SAMPLER_DEFAULTS, resolve_config
from genlab.errors import ConfigError
from genlab.nets import UNet
from genlab.stylegan import StyleGenerator, modulated_conv2d
from genlab.vqvae import MaskedConv2d, PixelCNNPrior

# ---------- VQ-VAE ----------


def test_quantiser_picks_the_nearest_code():
    vq = VectorQuantizer(3, 2)
    with torch.no_grad():
        vq.codebook.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.0]]))
    z_e = torch.tensor([[0.9, 1.2], [-1.5, 0.1], [0.1, -0.2], [0.6, 0.6]]).t().reshape(1, 2, 2, 2)
    z_q, idx = vq(z_e)
    assert idx.flatten().tolist() == [1, 2, 0, 1]
    assert torch.equal(z_q, vq.codebook[idx].permute(0, 3, 1, 2))


def test_straight_through_gradient_is_the_identity_for_the_decoder_input():
    z_e = torch.randn(2, 4, 3, 3, requires_grad=True)
    z_q = torch.randn(2, 4, 3, 3)
    out = straight_through(z_e, z_q)
    assert torch.allclose(out, z_q)  # the decoder sees the codes in the forward pass
    upstream = torch.randn_like(out)
    (grad,) = torch.autograd.grad(out, z_e, upstream)
    assert torch.equal(grad, upstream)  # d decoder_input / d z_e = I


def test_vq_loss_terms_follow_eq_3_and_stop_gradients_where_the_paper_does():
    vq = VectorQuantizer(4, 3)
    z_e = torch.randn(2, 3, 2, 2, requires_grad=True)
    z_q, _ = vq(z_e)
    codebook, commitment = vq_loss_terms(z_e, z_q)
    want = ((z_e.detach() - z_q.detach()) ** 2).mean()
    assert torch.allclose(codebook, want) and torch.allclose(commitment, want)
    # ||sg[z_e] - e||^2 moves the codebook only; ||z_e - sg[e]||^2 the encoder only
    g_e, g_cb = torch.autograd.grad(codebook, [z_e, vq.codebook], allow_unused=True)
    assert g_e is None and g_cb.abs().sum() > 0
    g_e, g_cb = torch.autograd.grad(commitment, [z_e, vq.codebook], allow_unused=True)
    assert g_cb is None and torch.allclose(g_e, 2 * (z_e - z_q).detach() / z_e.numel())


def test_vqvae_loss_is_reconstruction_plus_codebook_plus_beta_commitment():
    torch.manual_seed(0)
    model = VQVAE(1, 8, 4, width=4)
    x = torch.rand(3, 1, 8, 8) * 2 - 1
    total, terms, idx = model.loss(x, commitment=0.25)
    z_e = model.encoder(x)
    z_q = model.quantizer.lookup(model.quantizer.indices(z_e))
    rec = F.mse_loss(model.decoder(z_q), x)
    assert torch.allclose(terms["rec"], rec)
    assert torch.allclose(total, rec + terms["codebook"] + 0.25 * terms["commitment"])
    assert idx.shape == (3, 2, 2)
    # the encoder gets gradient through the straight-through path and the commitment term
    total.backward()
    assert model.encoder.net[0].weight.grad.abs().sum() > 0


def test_codebook_usage_reports_perplexity_and_used_codes():
    assert codebook_usage(torch.tensor([0, 1, 2, 3]), 8) == pytest.approx((4.0, 4))
    assert codebook_usage(torch.tensor([5, 5, 5]), 8) == pytest.approx((1.0, 1))


def test_pixelcnn_prior_is_causal_in_raster_order():
    torch.manual_seed(0)
    mask_a = MaskedConv2d(1, 1, 3, "A").mask[0, 0]
    assert mask_a.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    prior = PixelCNNPrior(5, 8, 2)
    idx = torch.randint(0, 5, (1, 4, 4))
    base = prior(idx)
    changed = idx.clone()
    changed[0, 2, 1] = (changed[0, 2, 1] + 1) % 5
    diff = (prior(changed) - base).abs().sum(1)[0]
    flat = diff.flatten()
    pos = 2 * 4 + 1
    assert flat[: pos + 1].max() == 0  # no position up to and including itself sees the change
    assert flat[pos + 1 :].max() > 0


# ---------- latent diffusion with a spatial latent ----------


def test_kl_autoencoder_has_a_spatial_latent_and_ldm_loss():
    torch.manual_seed(0)
    ae = KLAutoencoder(1, 4, width=8)
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    gen = torch.Generator().manual_seed(0)
    assert ae.encode(x, gen).shape == (2, 4, 7, 7)
    assert ae.decode(torch.zeros(2, 4, 7, 7)).shape == (2, 1, 28, 28)
    gen = torch.Generator().manual_seed(1)
    loss, rec, kl = ae.loss(x, gen, 1e-6)
    assert torch.allclose(loss, rec + 1e-6 * kl)
    mu, log_var = ae.posterior(x)
    want_kl = (-0.5 * (1 + log_var - mu**2 - log_var.exp())).flatten(1).sum(1).mean()
    assert torch.allclose(kl, want_kl)


def test_unet_runs_on_odd_latent_sizes_and_keeps_even_sizes_unchanged():
    torch.manual_seed(0)
    net = UNet(4, 8, (1, 2), num_classes=3)
    x = torch.randn(2, 4, 7, 7)
    assert net(x, torch.tensor([3, 9]), torch.tensor([0, 3])).shape == x.shape
    # 2x nearest up by size equals scale_factor 2 (pixel UNets draw the same images as before)
    h = torch.randn(1, 2, 4, 4)
    assert torch.equal(
        F.interpolate(h, size=(8, 8), mode="nearest"),
        F.interpolate(h, scale_factor=2.0, mode="nearest"),
    )


# ---------- StyleGAN ----------


def test_demodulation_gives_unit_output_std_per_the_equation():
    torch.manual_seed(0)
    x = torch.randn(4, 16, 32, 32)  # i.i.d. unit-std inputs (StyleGAN2 eq. 2's assumption)
    weight = torch.randn(8, 16, 3, 3)
    styles = torch.rand(4, 16) * 3 + 0.1
    out = modulated_conv2d(x, weight, styles, demodulate=True)
    # away from the zero padding every output channel has std ~ 1 whatever the styles
    std = out[:, :, 2:-2, 2:-2].std(dim=(2, 3))
    assert torch.allclose(std, torch.ones_like(std), atol=0.08)
    # eq. 1-3 by hand for one sample: w' = s w, w'' = w' / sqrt(sum w'^2 + eps)
    w1 = weight * styles[0][None, :, None, None]
    w2 = w1 / (w1.pow(2).sum(dim=(1, 2, 3), keepdim=True) + 1e-8).sqrt()
    assert torch.allclose(out[:1], F.conv2d(x[:1], w2, padding=1), atol=1e-5)
    raw = modulated_conv2d(x, weight, styles, demodulate=False)
    assert not torch.allclose(raw[:, :, 2:-2, 2:-2].std(dim=(2, 3)), std, atol=0.5)


def test_style_mixing_uses_two_ws_split_at_the_crossover():
    torch.manual_seed(0)
    g = StyleGenerator(8, 16, 1, 8, 4)
    z = torch.randn(3, 8)
    gen = torch.Generator().manual_seed(5)
    ws, cut = g.mixed_ws(z, None, gen, mixing=1.0)
    assert 1 <= cut < g.synthesis.num_ws == ws.shape[1]
    w1 = g.mapping(z)
    assert torch.allclose(ws[:, :cut], w1[:, None].expand(-1, cut, -1))
    w2 = ws[:, cut]
    assert not torch.allclose(w2, w1)
    assert torch.allclose(ws[:, cut:], w2[:, None].expand(-1, ws.shape[1] - cut, -1))
    ws0, cut0 = g.mixed_ws(z, None, gen, mixing=0.0)
    assert cut0 == ws0.shape[1] and torch.allclose(ws0, w1[:, None].expand_as(ws0))


def test_noise_inputs_change_fine_detail_only():
    torch.manual_seed(0)
    g = StyleGenerator(8, 16, 1, 28, 8).eval()
    for layer in g.synthesis.layers:
        layer.noise_strength.data.fill_(0.2)
    gen = torch.Generator().manual_seed(0)
    ws = g.mapping(torch.randn(16, 8))[:, None].repeat(1, g.synthesis.num_ws, 1)
    ws_other = g.mapping(torch.randn(16, 8))[:, None].repeat(1, g.synthesis.num_ws, 1)
    with torch.no_grad():
        a = g.synthesis(ws, g.noises(16, gen))
        b = g.synthesis(ws, g.noises(16, gen))  # same styles, fresh noise
        c = g.synthesis(ws_other, g.noises(16, gen))  # other styles

    def coarse_share(d: torch.Tensor) -> float:
        """Share of a difference's energy in the 7x7 block means (the coarse structure)."""
        return float(F.avg_pool2d(d, 4).pow(2).sum() * 16 / d.pow(2).sum())

    noise_diff, style_diff = b - a, c - a
    assert noise_diff.abs().max() > 0  # noise does change the image ...
    assert noise_diff.pow(2).mean() < style_diff.pow(2).mean()  # ... less than the styles do
    assert coarse_share(noise_diff) < coarse_share(style_diff)  # ... and at fine scales
    for layer in g.synthesis.layers:
        layer.noise_strength.data.zero_()
    with torch.no_grad():  # zero strength: the noise has no effect at all
        assert torch.equal(g.synthesis(ws, g.noises(16, gen)), g.synthesis(ws, g.noises(16, gen)))


# ---------- presets, CLI ----------


@pytest.mark.parametrize("family", ["latent-unet", "vqvae", "stylegan"])
def test_presets_exist_and_refuse_point_data(family):
    cfg = resolve_config(family, "mnist5k", "quick")
    assert cfg.family == family and family in SAMPLER_DEFAULTS
    assert resolve_config(family, "mnist5k", "quality").steps > cfg.steps
    with pytest.raises(ConfigError, match="images only"):
        resolve_config(family, "moons", "quick")


def test_latent_unet_preset_is_the_papers_recipe():
    cfg = resolve_config("latent-unet", "mnist5k")
    assert (cfg.z_channels, cfg.kl_weight) == (4, 1e-6)


TINY = {
    "latent-unet": ["vae_steps=4", "base=8", "width=4", "T=50"],
    "vqvae": ["vae_steps=4", "codebook_size=8", "z_channels=4", "hidden=8", "prior_layers=1"],
    "stylegan": ["width=4", "w_dim=8", "z_dim=8"],
}


@pytest.mark.parametrize("family", list(TINY))
def test_new_family_trains_and_samples_from_the_cli(family, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", family, "--dataset", "digits", "--steps", "3", "--out", str(out)]
    for kv in TINY[family]:
        args += ["--set", kv]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "completed at step" in printed
    if family != "stylegan":
        assert (out / "samples" / "reconstructions.png").is_file()
    if family == "vqvae":
        assert "heldout_perplexity" in printed and "heldout_used_codes" in printed
    grid = tmp_path / "grid.png"
    ckpt = str(out / "model.safetensors")
    assert main(["sample", ckpt, "--n", "4", "--steps", "5", "--out", str(grid)]) == 0
    recipe = json.loads(capsys.readouterr().out)["recipe"]
    assert grid.is_file()
    # the family's defaults fill what was not given (latent-unet: DDIM, eta 1, guidance 2)
    want = SAMPLER_DEFAULTS[family]
    assert recipe["sampler"] == want["sampler"] and recipe["eta"] == want["eta"]
    if family == "latent-unet":
        assert recipe["guidance"] == want["guidance"] == 2.0  # conditional on labelled data
    else:
        assert main(["sample", ckpt, "--guidance", "1", "--out", str(grid)]) == 2


def test_vqvae_training_reports_codebook_usage(tmp_path):
    from genlab.train import Callback, train

    seen = []

    class Keep(Callback):
        def on_progress(self, p):
            seen.append(p.losses)

    cfg = resolve_config(
        "vqvae",
        "digits",
        steps=2,
        vae_steps=3,
        codebook_size=8,
        z_channels=4,
        hidden=8,
        prior_layers=1,
        log_every=1,
    )
    train(cfg, out_dir=tmp_path, callbacks=[Keep()])
    assert {"perplexity", "used_codes", "codebook", "commitment", "rec"} <= set(seen[0])
    assert 1 <= seen[0]["perplexity"] <= 8 and "prior_nll" in seen[-1]
