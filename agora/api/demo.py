"""The API needs no demo rows: a token printed here would be a working credential in every
demo database's logs, so members create their own at /api/tokens/."""

from __future__ import annotations


def seed(*, out) -> None:
    out.write("API: /api/v1/docs; tokens at /api/tokens/; webhooks (staff) at /api/webhooks/\n")
