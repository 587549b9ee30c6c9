"""Reads that span apps: what the home page shows is alive (each app's own selectors, one query
per strip, whatever is in them)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Alive:
    recent_works: list = field(default_factory=list)
    trending_works: list = field(default_factory=list)
    models: list = field(default_factory=list)
    finished_runs: list = field(default_factory=list)
    events: list = field(default_factory=list)


def whats_alive(*, viewer) -> Alive:
    """Recent and trending works, trending models with their latest sample grid, the lab's latest
    finished runs and upcoming events: five queries for anyone."""
    from agora.events.selectors import upcoming_events
    from agora.gallery.selectors import work_feed
    from agora.lab.models import TrainingRun
    from agora.lab.selectors import current_models, visible_runs

    recent, _next = work_feed(viewer=viewer, sort="newest", limit=8)
    trending, _next = work_feed(viewer=viewer, sort="trending", limit=8)
    shown = {w.id for w in recent}
    # trending: stars and others' generations with a time decay (index labmodel_trending)
    models = list(current_models(viewer).order_by("-trending_score", "-id")[:4])
    runs = list(
        visible_runs(viewer)
        .filter(status=TrainingRun.Status.COMPLETED)
        .exclude(finished_at=None)
        .order_by("-finished_at", "-id")[:4]
    )
    events, _next = upcoming_events(limit=3)
    return Alive(
        recent_works=recent,
        # the trending strip shows what the recent one does not
        trending_works=[w for w in trending if w.id not in shown][:8],
        models=models,
        finished_runs=runs,
        events=events,
    )
