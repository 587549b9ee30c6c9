"""Trending with a time decay, one formula for works, models and topics.

    score = log10(max(reactions, 1)) + (created_at - EPOCH) / DECADE_S        (Reddit's "hot")

Ten times the reactions are worth DECADE_S (12.5 hours) of age: a work from this morning with 10
reactions ranks with one from last night with 100. Because the age term grows with the creation
time instead of shrinking with the present, a score changes only when the reactions do, so it is
stored in a column and paged by its index like any other key (×1e6 as a whole number, which keyset
paging needs). "Trending this week" keeps the last seven days and ranks them by the score.

What counts as a reaction differs by kind (each app's rescore function says so once):
works count reactions; lab models count stars and a fifth of the generations other members
made with them; forum topics count likes, replies and a tenth of their views.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
DECADE_S = 45_000  # seconds of age worth a factor of ten in reactions
WINDOW = timedelta(days=7)


def score(reactions: float, created_at: datetime) -> int:
    age_term = (created_at - EPOCH).total_seconds() / DECADE_S
    return round((math.log10(max(reactions, 1)) + age_term) * 1_000_000)
