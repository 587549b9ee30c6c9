"""The ranked search takes its page from a window of the best matches when it can, and falls back
to a wider window, then to ranking every match: each path gives the same page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from agora.forum.models import Post
from agora.search import query, registry, services
from agora.search.models import SearchDocument

START = datetime(2026, 3, 1, tzinfo=UTC)


class Notes:
    """A kind of its own: visible unless private, so a test decides which matches are hidden."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[str, str, bool]] = {}

    def add(self, object_id: int, title: str, body: str, *, private: bool = False) -> None:
        self.rows[object_id] = (title, body, private)

    def documents(self, ids: list[int]) -> dict[int, registry.Document]:
        return {
            i: registry.Document(
                object_id=i,
                title=self.rows[i][0],
                body=self.rows[i][1],
                is_private=self.rows[i][2],
                created_at=START + timedelta(minutes=i),
            )
            for i in ids
            if i in self.rows
        }


@pytest.fixture
def notes(db):
    notes = Notes()
    kind = registry.register_kind(
        registry.SearchKind(
            name="pathnote",
            documents=notes.documents,
            all_ids=lambda: list(notes.rows),
            visibility=lambda viewer, access: registry.Visibility(
                where=" AND d.is_private = %s", params=[False]
            ),
        )
    )
    yield notes
    registry.KINDS.pop(kind.name)


def ids(text: str, *, offset: int = 0, limit: int = 5, any_term: bool = False) -> list[int]:
    hits = query.search(
        kind="pathnote",
        query=query.parse(text),
        visibility=registry.get_kind("pathnote").visibility(None, None),
        offset=offset,
        limit=limit,
        any_term=any_term,
    )
    return [h.document.object_id for h in hits]


def every_path(monkeypatch, text: str, **kwargs) -> dict[str, list[int]]:
    """The same search with a window that holds every match, one that holds the page (and maybe
    widens), and one that is too small even widened (ranks every match); on SQLite also ranked
    apart as a small kind ("small" then the "all" path, when too many match)."""
    results = {}
    for name, candidates, widen, small_kind in [
        ("small", 10_000, 16, 10_000),
        ("all", 10_000, 16, 0),
        ("window", 0, 2, 0),
        ("every", 0, 1, 0),
    ]:
        monkeypatch.setattr(query, "CANDIDATES", candidates)
        monkeypatch.setattr(query, "WIDEN", widen)
        monkeypatch.setattr(query, "SMALL_KIND", small_kind)
        monkeypatch.setattr(query, "SMALL_SHARE", 1.0)  # the test's kind is the whole index
        results[name] = ids(text, **kwargs)
    monkeypatch.setattr(query, "RANK_FEW", 1)
    monkeypatch.setattr(query, "SMALL_KIND", 10_000)
    results["small, too many"] = ids(text, **kwargs)
    assert results.pop("small") == results.pop("small, too many") == results["all"]
    return results


def test_hidden_best_matches_leave_the_right_page(notes, monkeypatch):
    # The best-ranked matches (the word in the title) are private; the visible ones rank lower.
    for i in range(1, 31):
        notes.add(i, "capybara capybara", "capybara", private=True)
    for i in range(31, 43):
        notes.add(i, "other", f"capybara and {i} other words " + "filler " * (i - 30))
    services.index_objects(kind="pathnote", object_ids=list(notes.rows))
    paths = every_path(monkeypatch, "capybara", offset=5, limit=5)
    assert len(paths["all"]) == 5 and set(paths["all"]) <= set(range(31, 43))
    assert paths["window"] == paths["all"]
    assert paths["every"] == paths["all"]


def test_a_page_past_the_visible_matches_is_short(notes, monkeypatch):
    for i in range(1, 21):
        notes.add(i, "capybara", "capybara", private=i > 3)
    services.index_objects(kind="pathnote", object_ids=list(notes.rows))
    paths = every_path(monkeypatch, "capybara", offset=2, limit=5)
    assert paths == {"all": [1], "window": [1], "every": [1]}


def test_tied_scores_keep_newest_first_across_the_window_edge(notes, monkeypatch):
    # Identical documents score the same: the window cannot tell which tied match comes first,
    # so the page must not end on the window's worst score.
    for i in range(1, 16):
        notes.add(i, "", "capybara identical text")
    notes.add(16, "capybara", "capybara identical text")  # the title makes it the best
    services.index_objects(kind="pathnote", object_ids=list(notes.rows))
    paths = every_path(monkeypatch, "capybara", limit=4)
    assert paths["all"] == [16, 15, 14, 13]
    assert paths["window"] == paths["all"]
    assert paths["every"] == paths["all"]
    for offset in (3, 8, 12):
        paths = every_path(monkeypatch, "capybara", offset=offset, limit=4)
        assert paths["window"] == paths["every"] == paths["all"]


def test_phrases_prefixes_and_any_term_take_the_same_paths(notes, monkeypatch):
    for i in range(1, 25):
        words = ["latent diffusion" if i % 2 else "diffusion latent", "模型" * (i % 3)]
        notes.add(i, "扩散模型" if i % 5 == 0 else "", " ".join(words), private=i % 4 == 0)
    services.index_objects(kind="pathnote", object_ids=list(notes.rows))
    for text, any_term in [('"latent diffusion"', False), ("diffus", False), ("扩散 模型", True)]:
        for offset in (0, 4):
            paths = every_path(monkeypatch, text, offset=offset, limit=4, any_term=any_term)
            assert paths["all"], text
            assert paths["window"] == paths["every"] == paths["all"], (text, offset)


def test_each_path_costs_a_few_queries(notes, monkeypatch, django_assert_max_num_queries):
    for i in range(1, 11):
        notes.add(i, "", "capybara", private=i < 9)
    services.index_objects(kind="pathnote", object_ids=list(notes.rows))
    monkeypatch.setattr(query, "SMALL_SHARE", 1.0)
    with django_assert_max_num_queries(4):  # small kind on SQLite: size, matches, scores, rows
        assert ids("capybara") == [10, 9]
    monkeypatch.setattr(query, "SMALL_KIND", 0)
    with django_assert_max_num_queries(3):  # the ids (and the kind's size on SQLite), the rows
        assert ids("capybara") == [10, 9]
    monkeypatch.setattr(query, "CANDIDATES", 0)
    with django_assert_max_num_queries(5):  # two windows, every match, the rows
        assert ids("capybara") == [10, 9]


def test_a_post_hidden_after_indexing_is_dropped_from_every_path(
    client, alice, bob, lounge, write, monkeypatch
):
    topics = [write(bob, lounge, f"Capybara notes {i}", "capybara " * (i + 1)) for i in range(6)]
    # Moderation hides the best matches without telling the index: visibility is read live.
    best = sorted(topics, key=lambda t: -t.pk)[:3]
    Post.objects.filter(topic__in=best).update(hidden=True)
    assert SearchDocument.objects.filter(kind="post").count() == 6
    for candidates, widen, small_kind in [(10**4, 16, 5000), (10**4, 16, 0), (0, 2, 0), (0, 1, 0)]:
        monkeypatch.setattr(query, "CANDIDATES", candidates)
        monkeypatch.setattr(query, "WIDEN", widen)
        monkeypatch.setattr(query, "SMALL_KIND", small_kind)
        monkeypatch.setattr(query, "SMALL_SHARE", 1.0)
        response = client.get(reverse("search:search"), {"q": "capybara"})
        titles = {r.post.topic.title for r in response.context["results"]}
        assert titles == {t.title for t in topics if t not in best}


def test_reindexing_a_batch_creates_updates_and_removes_in_one_go(
    notes, django_assert_max_num_queries
):
    for i in range(1, 6):
        notes.add(i, f"title {i}", "capybara")
    services.index_objects(kind="pathnote", object_ids=list(notes.rows))
    notes.add(2, "title 2", "a changed body with axolotl")
    notes.rows.pop(3)
    notes.add(6, "title 6", "axolotl")
    with django_assert_max_num_queries(8):
        assert services.index_objects(kind="pathnote", object_ids=range(1, 7)) == 5
    bodies = dict(SearchDocument.objects.filter(kind="pathnote").values_list("object_id", "body"))
    assert bodies == {
        1: "capybara",
        2: "a changed body with axolotl",
        4: "capybara",
        5: "capybara",
        6: "axolotl",
    }
    assert sorted(ids("axolotl")) == [2, 6]
    assert sorted(ids("capybara")) == [1, 4, 5]


@pytest.mark.parametrize("few", [1, 10_000])
def test_newest_first_sorting_the_matches_or_walking_the_dates(notes, few, monkeypatch):
    monkeypatch.setattr(query, "FEW", few)  # SQLite only: sort the matches, or walk the dates
    for i in range(1, 21):
        notes.add(i, "", "capybara" if i % 3 else "capybara axolotl", private=i % 4 == 0)
    notes.add(21, "", "unrelated")
    services.index_objects(kind="pathnote", object_ids=list(notes.rows))

    def newest(text: str, offset: int) -> list[int]:
        hits = query.search(
            kind="pathnote",
            query=query.parse(text),
            visibility=registry.get_kind("pathnote").visibility(None, None),
            newest=True,
            offset=offset,
            limit=4,
        )
        return [h.document.object_id for h in hits]

    assert newest("capybara", 0) == [19, 18, 17, 15]
    assert newest("capybara", 4) == [14, 13, 11, 10]
    assert newest("axolotl", 0) == [18, 15, 9, 6]
    assert newest("nothing", 0) == []
