"""genlab: GAN, VAE and diffusion models in plain PyTorch, trained on the CPU, reproducible."""

import os

# OpenMP threads that wait for work spin by default (libgomp's OMP_WAIT_POLICY). With two torch
# threads on two cores and any other process running, a spinning thread burns the core its partner
# needs: a VAE training step measured 2.30 s of wall clock (0.56 CPU-s) at load 9.7 against
# 0.13 s (0.074 CPU-s) with PASSIVE waits (docs/benchmarks.md, "OpenMP wait policy"); on an
# idle machine PASSIVE costs 1.3-1.6x instead (bench/threads.py): set OMP_WAIT_POLICY=ACTIVE on a
# dedicated training machine. libgomp reads the variable once, when torch loads it: set before
# any `import torch`; a value the user set wins. It changes scheduling only, never a result.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
