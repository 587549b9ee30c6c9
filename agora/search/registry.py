"""What can be searched. Each kind (post, member, tag; later gallery works, lab models, events)
registers how to turn its objects into documents and which of them a viewer may see."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Document:
    """A searchable thing in plain text; the service segments and stores it."""

    object_id: int
    title: str
    body: str
    created_at: datetime
    topic_id: int | None = None
    category_id: int | None = None
    is_private: bool = False
    author_id: int | None = None
    title_weighted: bool = True  # False: the title is shown but not searched (replies)


@dataclass(frozen=True)
class Visibility:
    """SQL added to a search over the documents table aliased ``d``: joins and conditions."""

    joins: str = ""
    where: str = ""
    params: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class SearchKind:
    name: str
    # The documents for these ids; an id left out is not searchable (deleted, hidden...).
    documents: Callable[[list[int]], dict[int, Document]]
    # Every id that may be searchable, for rebuilding the index.
    all_ids: Callable[[], Iterable[int]]
    # What the viewer may see, given (viewer, CategoryAccess).
    visibility: Callable[[Any, Any], Visibility] = lambda viewer, access: Visibility()


KINDS: dict[str, SearchKind] = {}


def register_kind(kind: SearchKind) -> SearchKind:
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> SearchKind:
    return KINDS[name]
