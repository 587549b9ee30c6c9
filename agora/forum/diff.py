"""Word-level diff of two revisions as escaped HTML with <ins>/<del> marks."""

from __future__ import annotations

import difflib
import re

from django.utils.html import escape

TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def html_diff(before: str, after: str) -> str:
    a = TOKEN.findall(before)
    b = TOKEN.findall(after)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in {"delete", "replace"}:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in {"insert", "replace"}:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return "".join(out)
