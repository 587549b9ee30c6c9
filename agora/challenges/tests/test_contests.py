from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agora.challenges import selectors, services
from agora.challenges.models import Contest, Entry, Vote
from agora.conftest import make_member
from agora.core.tests.world import _png
from agora.gallery.models import Work
from agora.gallery.services import upload_work


def work(author, title, **extra) -> Work:
    made, _notes = upload_work(
        author=author, upload=SimpleUploadedFile("w.png", _png()), title=title, **extra
    )
    return made


@pytest.fixture
def contest(staff):
    now = timezone.now()
    return services.create_contest(
        creator=staff,
        title="Night skies",
        theme="Stars over mountains",
        rules="One work each. **Be kind.**",
        opens_at=now - timedelta(hours=1),
        entries_close_at=now + timedelta(days=1),
        voting_closes_at=now + timedelta(days=2),
        min_vote_trust=2,
    )


def to_voting(contest: Contest) -> None:
    now = timezone.now()
    Contest.objects.filter(pk=contest.pk).update(
        opens_at=now - timedelta(days=2), entries_close_at=now - timedelta(minutes=1)
    )
    contest.refresh_from_db()


@pytest.mark.django_db
def test_a_contest_runs_from_entries_through_hidden_votes_to_ranked_results(
    alice, bob, charlie, staff, contest, client
):
    first = services.enter_contest(user=alice, contest=contest, work=work(alice, "Alice sky"))
    second = services.enter_contest(user=bob, contest=contest, work=work(bob, "Bob sky"))
    to_voting(contest)
    services.vote(user=charlie, entry=first)
    services.vote(user=charlie, entry=second)
    services.vote(user=alice, entry=second)
    services.vote(user=bob, entry=first)
    client.force_login(charlie)
    page = client.get(contest.get_absolute_url()).content.decode()
    assert "Alice sky" in page and "votes" not in page.lower().replace("votes stay hidden", "")
    # voting closes: ranks by votes, the tie (2-2) goes to the earlier entry
    Contest.objects.filter(pk=contest.pk).update(voting_closes_at=timezone.now())
    assert services.finish_due_contests() == [contest.id]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.final_rank, second.final_rank) == (1, 2)
    page = client.get(contest.get_absolute_url()).content.decode()
    assert "2 votes" in page and "#1" in page
    assert [e.work.title for e in selectors.featured_winners()] == ["Alice sky"]
    assert "Alice sky" in client.get("/").content.decode()  # featured on the home page


@pytest.mark.django_db
def test_bad_entries_and_votes_are_refused_and_change_nothing(alice, bob, charlie, contest):
    mine = work(alice, "Alice sky")
    with pytest.raises(PermissionDenied):
        services.enter_contest(user=bob, contest=contest, work=mine)  # not his work
    with pytest.raises(ValidationError, match="private"):
        services.enter_contest(user=alice, contest=contest, work=work(alice, "Hid", private=True))
    entry = services.enter_contest(user=alice, contest=contest, work=mine)
    with pytest.raises(ValidationError, match="already entered"):
        services.enter_contest(user=alice, contest=contest, work=mine)
    with pytest.raises(ValidationError, match="not open"):
        services.vote(user=bob, entry=entry)  # still taking entries
    contest.require_recipe = True
    contest.save()
    with pytest.raises(ValidationError, match="lab"):
        services.enter_contest(user=bob, contest=contest, work=work(bob, "Upload"))
    to_voting(contest)
    with pytest.raises(ValidationError, match="not taking entries"):
        services.enter_contest(user=bob, contest=contest, work=work(bob, "Late"))
    with pytest.raises(PermissionDenied, match="own work"):
        services.vote(user=alice, entry=entry)
    newcomer = make_member("newcomer", trust_level=0)
    with pytest.raises(PermissionDenied, match="trust level 2"):
        services.vote(user=newcomer, entry=entry)
    services.vote(user=bob, entry=entry)
    with pytest.raises(ValidationError, match="already voted"):
        services.vote(user=bob, entry=entry)
    Contest.objects.filter(pk=contest.pk).update(voting_closes_at=timezone.now())
    contest.refresh_from_db()
    with pytest.raises(ValidationError, match="not open"):
        services.vote(user=charlie, entry=entry)
    assert Entry.objects.count() == 1 and Vote.objects.count() == 1
    entry.refresh_from_db()
    assert entry.vote_count == 1


@pytest.mark.django_db
def test_contest_pages_through_http(alice, bob, staff, client, contest):
    client.force_login(staff)
    response = client.post(
        "/challenges/contests/new/",
        {
            "title": "Oceans",
            "theme": "Waves",
            "rules": "",
            "min_vote_trust": "1",
            "opens_at": "2030-01-01T10:00",
            "entries_close_at": "2029-01-01T10:00",
            "voting_closes_at": "2031-01-01T10:00",
        },
    )
    assert response.status_code == 400 and "Entries must close after they open" in (
        response.content.decode()
    )
    assert Contest.objects.count() == 1
    client.force_login(alice)
    mine = work(alice, "Alice sky")
    response = client.post(f"/challenges/contests/{contest.id}/enter/", {"work": str(mine.id)})
    assert response.status_code == 302 and Entry.objects.filter(work=mine).exists()
    theirs = work(bob, "Bob sky")
    response = client.post(f"/challenges/contests/{contest.id}/enter/", {"work": str(theirs.id)})
    assert response.status_code == 403 and not Entry.objects.filter(work=theirs).exists()
