"""Webhooks for challenges: `submission.evaluated` and `challenge.closed` (docs/api.md)."""

from __future__ import annotations

from django.db import transaction

from agora.challenges.models import Challenge, Submission


def _absolute(path: str) -> str:
    from django.conf import settings

    return f"{settings.AGORA_SITE_URL}{path}"


def submission_evaluated(submission_id: int) -> None:
    from agora.api.webhooks import dispatch

    entry = (
        Submission.objects.select_related("challenge", "submitter", "run")
        .filter(pk=submission_id)
        .first()
    )
    if entry is None:
        return
    with transaction.atomic():
        dispatch(
            "submission.evaluated",
            {
                "submission": {
                    "id": entry.id,
                    "challenge": entry.challenge_id,
                    "submitter": entry.submitter.username,
                    "status": entry.status,
                    "verified": entry.verified,
                    "score": entry.score,
                    "metrics": entry.metrics,
                    "cpu_minutes": round(entry.cpu_minutes, 4),
                    "refusal": entry.refusal,
                    "url": _absolute(entry.challenge.get_absolute_url()),
                }
            },
        )


def challenge_closed(challenge_id: int) -> None:
    from agora.api.webhooks import dispatch
    from agora.challenges.selectors import leaderboard

    challenge = Challenge.objects.filter(pk=challenge_id).first()
    if challenge is None:
        return
    board = leaderboard(challenge)[:3]
    with transaction.atomic():
        dispatch(
            "challenge.closed",
            {
                "challenge": {
                    "id": challenge.id,
                    "title": challenge.title,
                    "metric": challenge.metric,
                    "winners": [
                        {"rank": e.rank, "member": e.submitter.username, "score": e.score}
                        for e in board
                    ],
                    "url": _absolute(challenge.get_absolute_url()),
                }
            },
        )
