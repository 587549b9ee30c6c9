"""Who may fetch an uploaded file: a registry, like search's `register_kind`. Each app declares
in its `media.py` (imported by its AppConfig.ready) the folders whose files can be private and,
for each file pattern, who may see it, asking its own permissions.py. Core only asks the
registry. Files outside every registered folder (avatars, launch screenshots) are public and
answered without a query.

`media_visibility(user, path)` answers "public" (anyone, cacheable), "private" (this viewer may,
do not let shared caches keep it) or None (not found, as far as this viewer is concerned)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Visibility = Literal["public", "private"] | None


@dataclass(frozen=True)
class MediaRule:
    folder: str  # "lab/": the rule is tried for paths under it
    pattern: re.Pattern[str]  # the whole path, relative to MEDIA_ROOT
    # (viewer, path, match) -> Visibility; one or two queries at most
    visibility: Callable[[Any, str, re.Match[str]], Visibility]


_RULES: list[MediaRule] = []


def register_media(folder: str, pattern: str, visibility) -> MediaRule:
    """Declare that files under `folder` matching `pattern` are served only as `visibility`
    says. Rules are tried in the order they are registered; a path under a registered folder
    that no rule matches is not found."""
    if not folder.endswith("/"):
        raise ValueError(f"a media folder ends with '/': {folder!r}")
    rule = MediaRule(folder=folder, pattern=re.compile(pattern), visibility=visibility)
    _RULES.append(rule)
    return rule


def is_protected(path: str) -> bool:
    """Whether the file lives in a folder whose files can be private (public ones among them
    may become private, so caches must ask again)."""
    return any(path.startswith(rule.folder) for rule in _RULES)


def verdict(is_private: bool, allowed: bool) -> Visibility:
    """What a rule answers for a thing that is private or not, and whether this viewer may."""
    if not is_private:
        return "public"
    return "private" if allowed else None


def media_visibility(user, path: str) -> Visibility:
    if not is_protected(path):
        return "public"
    for rule in _RULES:
        if path.startswith(rule.folder) and (match := rule.pattern.fullmatch(path)):
            return rule.visibility(user, path, match)
    return None  # nothing else lives under the protected folders
