"""What can be searched. Each kind (posts, members and tags here; works, models, articles,
resources, events, launches and partner requests in their own apps' ``search.py``) registers how
to turn its objects into documents, which of them a viewer may see, and how a result looks."""

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
    keywords: str = ""  # searched like the body but never shown in snippets (labels, ids)


@dataclass(frozen=True)
class Visibility:
    """SQL added to a search over the documents table aliased ``d``: joins and conditions."""

    joins: str = ""
    where: str = ""
    params: list[Any] = field(default_factory=list)


@dataclass
class Card:
    """How one result looks on the search page and in the header box, whatever its kind. Built
    from the live object (never from the index), so a rename shows at once."""

    url: str
    title: str
    created_at: datetime
    author: Any = None  # a User, shown by name
    thumbnail: str = ""  # an image URL
    blurred: bool = False  # a thumbnail above the viewer's content level
    details: list[str] = field(default_factory=list)  # small facts: family, venue, role
    flags: list[str] = field(default_factory=list)  # notices: private, expired, cancelled


@dataclass(frozen=True)
class SearchKind:
    name: str
    # The documents for these ids; an id left out is not searchable (deleted, hidden...).
    documents: Callable[[list[int]], dict[int, Document]]
    # Every id that may be searchable, for rebuilding the index.
    all_ids: Callable[[], Iterable[int]]
    # What the viewer may see, given (viewer, CategoryAccess).
    visibility: Callable[[Any, Any], Visibility] = lambda viewer, access: Visibility()
    # The page's "search in" choice: its label (plural), URL value and place in the list.
    label: Any = ""
    noun: Any = ""  # one of them, for the badge on a result
    param: str = ""
    order: int = 100
    # Cards for the ids found, given (ids, viewer), in a constant number of queries; an id left
    # out is not shown. None for kinds with a page of their own (posts, members, tags).
    cards: Callable[[list[int], Any], dict[int, Card]] | None = None

    @property
    def choice(self) -> str:
        return self.param or f"{self.name}s"


KINDS: dict[str, SearchKind] = {}


def register_kind(kind: SearchKind) -> SearchKind:
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> SearchKind:
    return KINDS[name]


def kinds_in_order() -> list[SearchKind]:
    return sorted(KINDS.values(), key=lambda kind: (kind.order, kind.name))


def kind_for_choice(choice: str) -> SearchKind | None:
    return next((kind for kind in KINDS.values() if kind.choice == choice), None)


def viewer_id(viewer: Any) -> int:
    """The viewer's id for visibility SQL; 0 (nobody) for an anonymous visitor."""
    return viewer.pk if viewer is not None and viewer.is_authenticated else 0


def placeholders(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def in_every_language(*labels: Any) -> str:
    """Choice labels (a model family, an event kind) in every language of the site, so "讲座"
    and "lecture" both find a lecture whatever language its author used."""
    from django.conf import settings
    from django.utils import translation

    words = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.extend(str(label) for label in labels if label)
    return " ".join(dict.fromkeys(words))
