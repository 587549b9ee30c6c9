from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from agora.challenges import services
from agora.challenges.models import Challenge, Submission
from agora.challenges.tests.conftest import recorded_run
from agora.conftest import make_member
from agora.lab.models import TrainingRun


def form(**overrides) -> dict:
    return {
        "title": "Digits in five minutes",
        "title_zh": "五分钟数字",
        "description": "Class-conditional **digits**.",
        "description_zh": "按类别生成数字。",
        "task": "conditional-images",
        "dataset": "digits",
        "metric": "classifier_fd",
        "cpu_budget_minutes": "5",
        "seed": "0",
        "count": "200",
        "samplers": ["ddim", "direct"],
        "max_steps": "20",
        "daily_limit": "2",
        "opens_at": "2026-01-01T10:00",
        "closes_at": "2099-01-01T10:00",
        **overrides,
    }


@pytest.mark.django_db
def test_staff_create_a_challenge_in_both_languages_and_bad_input_stores_nothing(staff, client):
    from agora.forum.models import Category

    Category.objects.create(name="Image generation", slug="image-generation")
    client.force_login(staff)
    bad = client.post("/challenges/new/", form(dataset="moons"))
    assert bad.status_code == 400 and "This task takes the data sets" in bad.content.decode()
    bad = client.post("/challenges/new/", form(closes_at="2025-01-01T10:00"))
    assert bad.status_code == 400 and "close after it opens" in bad.content.decode()
    bad = client.post("/challenges/new/", form(title="x" * 161))
    assert bad.status_code == 400
    assert not Challenge.objects.exists()
    response = client.post("/challenges/new/", form())
    challenge = Challenge.objects.get()
    assert response["Location"] == challenge.get_absolute_url()
    assert challenge.protocol == {
        "seed": 0,
        "count": 200,
        "samplers": ["ddim", "direct"],
        "max_steps": 20,
    }
    assert challenge.topic is not None  # the forum topic the results are announced in
    chinese = Client(headers={"accept-language": "zh-hans"})
    assert "五分钟数字" in chinese.get(challenge.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_trusted_members_create_challenges_only_where_the_site_allows_it(settings, client):
    trusted = make_member("veteran", trust_level=3)
    client.force_login(trusted)
    settings.CHALLENGES_TRUSTED_MAY_CREATE = False
    assert client.get("/challenges/new/").status_code == 403
    settings.CHALLENGES_TRUSTED_MAY_CREATE = True
    assert client.get("/challenges/new/").status_code == 200
    client.force_login(make_member("regular", trust_level=2))
    assert client.get("/challenges/new/").status_code == 403


def scored(challenge, member, score, cpu, **extra) -> Submission:
    run = recorded_run(member, title=f"run {score}", dataset=challenge.dataset, cpu_seconds=cpu)
    return Submission.objects.create(
        challenge=challenge,
        submitter=member,
        run=run,
        status="scored",
        verified=True,
        score=score,
        metrics={"mmd2": score},
        cpu_seconds=cpu,
        **extra,
    )


@pytest.mark.django_db
def test_the_leaderboard_ranks_ties_by_cpu_minutes_and_marks_the_pareto_front(
    challenge, alice, bob, charlie
):
    from agora.challenges.selectors import leaderboard

    a = scored(challenge, alice, 0.010, 120)
    b = scored(challenge, bob, 0.010, 60)  # same score, less CPU: ahead
    c = scored(challenge, charlie, 0.020, 30)  # worse but cheapest: on the front
    d = scored(challenge, charlie, 0.030, 90)  # dominated by b and c
    board = leaderboard(challenge)
    assert [s.id for s in board] == [b.id, a.id, c.id, d.id]
    assert [s.pareto for s in board] == [True, False, True, False]


# Exact queries per page: (anonymous, member)
EXPECTED = {"index": (1, 4), "challenge": (3, 9), "contests": (1, 4), "contest": (2, 8)}


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(EXPECTED))
def test_each_page_costs_an_exact_number_of_queries(
    page, challenge, staff, alice, bob, charlie, client, django_assert_num_queries
):
    from agora.challenges.models import Contest, Entry
    from agora.challenges.tests.test_contests import work

    for member, score in ((alice, 0.01), (bob, 0.02), (charlie, 0.03)):
        scored(challenge, member, score, 60 * score * 100)
    now = timezone.now()
    contest = Contest.objects.create(
        creator=staff,
        title="Skies",
        theme="Stars",
        opens_at=now - timedelta(days=1),
        entries_close_at=now + timedelta(days=1),
        voting_closes_at=now + timedelta(days=2),
    )
    for member in (alice, bob):
        Entry.objects.create(contest=contest, work=work(member, f"{member} sky"), entrant=member)
    url = {
        "index": "/challenges/",
        "challenge": challenge.get_absolute_url(),
        "contests": "/challenges/contests/",
        "contest": contest.get_absolute_url(),
    }[page]
    client.get("/")  # the day's first request records the visit
    anonymous, member = EXPECTED[page]
    with django_assert_num_queries(anonymous):
        assert client.get(url).status_code == 200
    client.force_login(alice)
    client.get("/")
    with django_assert_num_queries(member):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_submitting_through_the_page_refuses_others_runs_and_bad_ids(challenge, alice, bob, client):
    run = recorded_run(bob, title="bob's", cpu_seconds=5)
    client.force_login(alice)
    url = f"/challenges/{challenge.id}/submit/"
    assert client.post(url, {"run": str(run.id)}).status_code == 403
    assert client.post(url, {"run": "99999999999999999999"}).status_code == 400
    assert client.post(url, {"run": "abc"}).status_code == 400
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_at_the_end_of_the_window_the_board_freezes_and_winners_are_announced(
    challenge, alice, bob, charlie, client, django_capture_on_commit_callbacks
):
    from agora.challenges.models import Follow
    from agora.forum.models import Category, Post
    from agora.notifications.models import Notification

    first = scored(challenge, bob, 0.01, 60)
    second = scored(challenge, alice, 0.02, 60)
    Follow.objects.create(challenge=challenge, user=charlie)
    Challenge.objects.filter(pk=challenge.pk).update(closes_at=timezone.now() + timedelta(hours=2))
    assert services.remind_closing() == [challenge.id]
    assert services.remind_closing() == []  # told once
    assert Notification.objects.filter(user=charlie, kind="challenge_closing").count() == 1
    Category.objects.create(name="Image generation", slug="image-generation")
    Challenge.objects.filter(pk=challenge.pk).update(closes_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.freeze_due() == [challenge.id]
    assert services.freeze_due() == []
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.final_rank, second.final_rank) == (1, 2)
    challenge.refresh_from_db()
    announcement = Post.objects.filter(topic=challenge.topic).last()
    assert "@bob" in announcement.raw and "@alice" in announcement.raw
    assert Notification.objects.filter(kind="challenge_won").count() == 2
    assert "Challenge placings" in client.get("/u/bob/").content.decode()
    late = recorded_run(charlie, title="late", cpu_seconds=5)
    with pytest.raises(Exception, match="closed"):
        services.submit(user=charlie, challenge=challenge, run=late)


@pytest.mark.django_db
def test_the_leaderboard_pages_by_fifty_in_a_stable_order_at_a_constant_query_cost(
    challenge, alice, bob, client, django_assert_num_queries
):
    from agora.challenges.selectors import BOARD_PAGE_SIZE

    def add(n: int, start: int) -> list[Submission]:
        runs = TrainingRun.objects.bulk_create(
            TrainingRun(
                owner=alice,
                title=f"board run {i}",
                family="diffusion",
                dataset="moons",
                steps=10,
                status="completed",
                checkpoint_sha256="0" * 64,
                cpu_seconds=60,
            )
            for i in range(start, start + n)
        )
        return Submission.objects.bulk_create(
            Submission(
                challenge=challenge,
                submitter=alice,
                run=run,
                status="scored",
                verified=True,
                # ties: pairs share a score; in a pair the second used less CPU and goes first
                score=0.001 * (i // 2),
                metrics={"mmd2": 0.001 * (i // 2)},
                cpu_seconds=60 - (i % 2),
            )
            for i, run in zip(range(start, start + n), runs, strict=True)
        )

    add(3, 0)
    url = challenge.get_absolute_url()
    client.get("/")
    with django_assert_num_queries(3):
        assert client.get(url + "?page=2").status_code == 200  # past the end: the last page
    add(BOARD_PAGE_SIZE + 5 - 3, 3)
    with django_assert_num_queries(3):  # the same cost with 55 entries
        page2 = client.get(url + "?page=2").content.decode()
    rows = page2.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert len(rows) == 5
    assert "<td>51</td>" in rows[0] and "<td>55</td>" in rows[-1]
    assert "Page 2 of 2 (55 entries)" in page2 and 'rel="prev"' in page2
    page1 = client.get(url).content.decode()
    assert page1.split("<tbody>")[1].count("<tr") == BOARD_PAGE_SIZE and 'rel="next"' in page1
    # The order: score, then fewer CPU-minutes, then the earlier entry.
    from agora.challenges.selectors import leaderboard

    board = leaderboard(challenge)
    keys = [(s.score, s.cpu_seconds, s.created_at, s.id) for s in board]
    assert keys == sorted(keys)
    assert board[0].cpu_seconds == 59 and board[1].cpu_seconds == 60
    assert client.get(url + "?page=abc").status_code == 200  # bad input: page 1
    api = client.get(f"/api/v1/challenges/{challenge.id}/leaderboard?page=2").json()
    assert (api["page"], api["pages"], api["total"]) == (2, 2, 55)
    assert [e["rank"] for e in api["entries"]] == [51, 52, 53, 54, 55]
