"""Index the demo community (seed_demo runs this after the forum and members exist)."""

from agora.search import services


def seed(*, out) -> None:
    services.rebuild(out=out)
