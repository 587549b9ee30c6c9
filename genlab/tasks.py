"""Challenge tasks, without importing torch (the site's pages and forms read them): the data
sets each task accepts and the metrics it reports, the first-listed being the usual ranking
metric, each lower- or higher-is-better. How a kind of task is measured is in
genlab/challenge.py (`MEASURES`); a new task is one entry here."""

from __future__ import annotations

from dataclasses import dataclass, field

# The sampler settings a text task draws every entry's samples with, written into a challenge
# when it opens: genlab.gpt.TEXT_DEFAULTS, at most 100 new tokens (a regulated verse is 64
# characters). Here, not in genlab.challenge, so the site opens a challenge without torch.
TEXT_PROTOCOL: dict[str, float | int] = {
    "temperature": 0.8,
    "top_k": 0,
    "top_p": 1.0,
    "length": 100,
}


@dataclass(frozen=True)
class Task:
    key: str
    # "image", "points" or "text": what the task's models generate (genlab.challenge.MEASURES)
    kind: str
    datasets: tuple[str, ...]
    metrics: tuple[str, ...]
    lower_is_better: dict[str, bool] = field(default_factory=dict)

    def better(self, metric: str) -> str:
        return "lower" if self.lower_is_better.get(metric, True) else "higher"


TASKS: dict[str, Task] = {
    t.key: t
    for t in (
        Task(
            "conditional-images",
            "image",
            ("mnist5k", "digits"),
            ("classifier_fd", "class_accuracy", "elbo_nats"),
            {"classifier_fd": True, "class_accuracy": False, "elbo_nats": False},
        ),
        Task(
            # 32x32 colour emoji in categories (genlab/emoji.py); the data set's own evaluation
            # classifier gives the Frechet distance and the class accuracy, as for digits
            "conditional-emoji",
            "image",
            ("emoji32",),
            ("classifier_fd", "class_accuracy", "elbo_nats"),
            {"classifier_fd": True, "class_accuracy": False, "elbo_nats": False},
        ),
        Task(
            "density-2d",
            "points",
            ("moons", "swissroll", "8gaussians", "checkerboard"),
            ("mmd2",),
            {"mmd2": True},
        ),
        Task(
            # gpt models of the Tang poems: bits per character of the sealed poems (lower is
            # better) and the share of the protocol's samples that are regular poems (higher)
            "tang-poems",
            "text",
            ("tang",),
            ("bits_per_char", "form_rate"),
            {"bits_per_char": True, "form_rate": False},
        ),
    )
}
