"""genlab: GAN, VAE and diffusion models in plain PyTorch, trained on the CPU, reproducible."""

__version__ = "0.1.0"
