import os

# Before anything imports torch: the lab worker's OpenMP threads sleep instead of spinning while
# they wait (see genlab/__init__.py and docs/benchmarks.md, "OpenMP wait policy").
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from agora.celery import app as celery_app

__all__ = ["celery_app"]
