"""Other apps add kinds through the registry; the SQLite shortcut never hides allowed results."""

from datetime import UTC, datetime

from django.urls import reverse

from agora.search import query, registry, services
from agora.search.models import SearchDocument

NOTES = {7: "扩散模型 notes on guidance", 8: "unrelated text"}


def test_a_registered_kind_is_indexed_and_searched(db):
    kind = registry.register_kind(
        registry.SearchKind(
            name="note",
            documents=lambda ids: {
                i: registry.Document(
                    object_id=i, title=f"Note {i}", body=NOTES[i], created_at=datetime.now(UTC)
                )
                for i in ids
                if i in NOTES
            },
            all_ids=lambda: list(NOTES),
        )
    )
    try:
        assert services.rebuild(kinds=["note"]) == {"note": 2}
        hits = query.search(
            kind="note", query=query.parse("扩散 guid"), visibility=registry.Visibility()
        )
        assert [h.document.object_id for h in hits] == [7]
        NOTES.pop(7)
        services.index_objects(kind="note", object_ids=[7])
        assert not SearchDocument.objects.filter(kind="note", object_id=7).exists()
    finally:
        registry.KINDS.pop(kind.name)
        NOTES[7] = "扩散模型 notes on guidance"


def test_many_better_ranked_invisible_matches_do_not_hide_a_visible_one(
    client, charlie, bob, lounge, secret, write, monkeypatch
):
    monkeypatch.setattr(query, "CANDIDATES", 0)
    for i in range(25):
        write(bob, secret, f"Capybara secret {i:02d}", f"capybara capybara number {i}")
    write(bob, lounge, "A public topic", "one capybara here, among many other words said")
    client.force_login(charlie)
    response = client.get(reverse("search:search"), {"q": "capybara"})
    assert [r.post.topic.title for r in response.context["results"]] == ["A public topic"]
