"""The training lane (agora/lab/lane.py): a member's job goes before the site's own background
jobs (the demo's verification rebuilds, the lessons' warm-ups), a running background job steps
aside when a member's job waits, members keep the order they had, and nobody can choose a
job's priority from a form or the API."""

from __future__ import annotations

import pytest
from django.db import connection

from agora.api import tokens
from agora.api.tests.conftest import bearer
from agora.challenges import evaluation, services
from agora.challenges.models import Submission
from agora.challenges.tests.conftest import recorded_run, train
from agora.lab import execution, lane
from agora.lab.models import JobPriority, TrainingRun
from agora.lab.services import runs
from agora.learn import widget_services
from agora.learn.models import WidgetFrame, WidgetResult
from agora.learn.widgets.compute import Drawn

pytestmark = pytest.mark.django_db


def queue_run(owner, capture, *, title: str = "my first run", seed: int = 1) -> TrainingRun:
    """A member presses Train: the run waits for the training worker (its wake not delivered)."""
    with capture():
        run = runs.create_run(
            owner=owner,
            title=title,
            family="diffusion",
            dataset="moons",
            preset="quick",
            steps=30,
            seed=seed,
        )
    assert run.status == "queued"
    return run


def background_entry(owner, challenge, capture) -> Submission:
    """An entry the site queued itself, as the demo seed enters the zoo's models."""
    run = train(owner, capture)
    with capture():
        entry = services.submit(user=owner, challenge=challenge, run=run, background=True)
    assert entry.priority == JobPriority.BACKGROUND and entry.status == "queued"
    return entry


def test_a_members_run_queued_after_a_background_rebuild_is_claimed_first(
    alice, bob, challenge, django_capture_on_commit_callbacks, django_assert_num_queries
):
    capture = django_capture_on_commit_callbacks
    entry = background_entry(alice, challenge, capture)
    run = queue_run(bob, capture)
    # The worker takes the rebuild's message first (it was sent first): it does not start.
    with django_assert_num_queries(2):  # the conditional UPDATE, then "still queued?"
        assert evaluation.evaluate(submission_id=entry.id) == "waiting"
    entry.refresh_from_db()
    assert entry.status == "queued" and entry.claimed_at is None
    assert execution.execute_run(run_id=run.id, worker="w") == "completed"
    # Nothing waits now: the rebuild runs, and verifies the entry as before.
    assert evaluation.evaluate(submission_id=entry.id) == "scored"
    entry.refresh_from_db()
    assert entry.verified and entry.score is not None


def test_member_jobs_keep_their_order_and_never_wait_for_each_other(
    alice, bob, challenge, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    finished = train(alice, capture)
    first = queue_run(bob, capture, title="first")
    second = queue_run(alice, capture, title="second", seed=2)
    # A member's entry and a member's run start whatever else waits: their messages decide.
    with capture():
        entry = services.submit(user=alice, challenge=challenge, run=finished)
    assert entry.priority == JobPriority.MEMBER
    assert evaluation.evaluate(submission_id=entry.id) == "scored"
    assert execution.execute_run(run_id=first.id, worker="w") == "completed"
    assert execution.execute_run(run_id=second.id, worker="w") == "completed"


def test_a_running_background_rebuild_yields_to_a_member_and_resumes_to_the_same_result(
    alice, bob, challenge, monkeypatch, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    entry = background_entry(alice, challenge, capture)
    monkeypatch.setattr(lane, "YIELD_CHECK_SECONDS", 0)  # ask the database at every step
    member_runs: list[TrainingRun] = []

    def member_presses_train(self, step, path) -> None:  # during the rebuild, at a checkpoint
        if not member_runs:
            member_runs.append(queue_run(bob, capture))

    monkeypatch.setattr(evaluation._YieldToMembers, "on_checkpoint", member_presses_train)
    assert evaluation.evaluate(submission_id=entry.id) == "yielded"
    entry.refresh_from_db()
    assert entry.status == "queued" and not entry.verified
    assert (evaluation.rebuild_folder(entry.id) / "state.pt").is_file()  # kept to resume from
    # The member's run is next; then the rebuild resumes and still verifies bit for bit.
    assert execution.execute_run(run_id=member_runs[0].id, worker="w") == "completed"
    assert evaluation.evaluate(submission_id=entry.id) == "scored"
    entry.refresh_from_db()
    assert entry.verified
    assert not evaluation.rebuild_folder(entry.id).exists()


def test_a_background_lesson_training_waits_and_yields_to_a_member(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with capture():
        row = widget_services._queue(
            kind="gan-game",
            key="k" * 64,
            state={"steps": 50},
            requester=None,
            priority=JobPriority.BACKGROUND,
        )
    run = queue_run(alice, capture)
    assert widget_services.run_live(result_id=row.id) == "waiting"
    assert WidgetResult.objects.get(pk=row.id).status == "queued"
    assert execution.execute_run(run_id=run.id, worker="w") == "completed"

    later: list[TrainingRun] = []

    def training(state, report) -> Drawn:  # a lesson training a member's run interrupts
        report(1, 3, Drawn(b"frame"))
        later.append(queue_run(alice, capture, title="second", seed=2))
        report(2, 3, Drawn(b"frame"))
        return Drawn(b"done")

    monkeypatch.setattr(lane, "YIELD_CHECK_SECONDS", 0)
    monkeypatch.setattr(widget_services, "_function", lambda widget: training)
    assert widget_services.run_live(result_id=row.id) == "yielded"
    row.refresh_from_db()
    assert row.status == "queued" and row.frame_count == 0 and not WidgetFrame.objects.exists()
    assert execution.execute_run(run_id=later[0].id, worker="w") == "completed"
    monkeypatch.setattr(widget_services, "_function", lambda widget: lambda s, r: Drawn(b"png"))
    assert widget_services.run_live(result_id=row.id) == "done"


def test_a_member_cannot_choose_the_priority_of_an_entry_by_form_or_api(
    alice, challenge, client, django_capture_on_commit_callbacks
):
    """Neither lower (background) nor anything else: the service decides, from who queued it."""
    form_run = recorded_run(alice, title="by the form")
    api_run = recorded_run(alice, title="by the API")
    client.force_login(alice)
    with django_capture_on_commit_callbacks():
        response = client.post(
            f"/challenges/{challenge.id}/submit/",
            {"run": str(form_run.id), "priority": "0", "background": "on"},
        )
    assert response.status_code == 302
    raw = tokens.create_token(user=alice, name="t", scopes=["read", "write"])[1]
    with django_capture_on_commit_callbacks():
        response = client.post(
            f"/api/v1/challenges/{challenge.id}/submissions",
            {"run": api_run.id, "priority": 0, "background": True},
            content_type="application/json",
            **bearer(raw),
        )
    assert response.status_code == 201, response.content
    entries = Submission.objects.filter(submitter=alice)
    assert entries.count() == 2
    assert set(entries.values_list("priority", flat=True)) == {JobPriority.MEMBER}


def test_a_member_cannot_queue_a_lesson_training_in_the_background(
    alice_client, django_capture_on_commit_callbacks
):
    url = "/learn/widgets/gan-game/panel/?steps=50"
    with django_capture_on_commit_callbacks():
        refused = alice_client.get(url + "&priority=0")  # not a setting of the widget
        assert refused.status_code == 400 and not WidgetResult.objects.exists()
        assert alice_client.get(url).status_code == 200
    assert WidgetResult.objects.get(kind="gan-game").priority == JobPriority.MEMBER


def test_the_claims_question_is_answered_from_the_lane_indexes():
    """`member_waits()` reads `submission_lane` and `widget_lane` (and the runs' status index)."""
    from agora.challenges.models import Submission as Entry

    plans = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask for the index
        for queued in lane._member_queues():
            sql, params = queued.values("pk").query.sql_with_params()
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(prefix + sql, params)
            plans.append(" ".join(str(row) for row in cursor.fetchall()))
    assert "submission_lane" in plans[1], plans[1]
    assert "widget_lane" in plans[2], plans[2]
    assert Entry._meta.get_field("priority").default == JobPriority.MEMBER


def test_a_queued_runs_page_says_how_many_jobs_are_ahead_and_who_sees_it(
    alice, bob, challenge, client, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    background_entry(alice, challenge, capture)  # the site's own: it yields, so is not counted
    first = queue_run(bob, capture, title="first")
    second = queue_run(alice, capture, title="second", seed=2)
    client.force_login(alice)
    page = client.get(second.get_absolute_url()).content.decode()
    assert "1 job is ahead of this run in the training queue" in page
    assert "is next in the training queue" not in page
    # no empty chart frame before the first logged step: a line says where the curves will be
    assert "curves-pending" in page and "loss-chart" not in page
    page = client.get(first.get_absolute_url()).content.decode()
    assert "This run is next in the training queue" in page and "training now" not in page
    TrainingRun.objects.filter(pk=first.pk).update(status=TrainingRun.Status.RUNNING)
    page = client.get(second.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "This run is next in the training queue · 1 job training now" in page
    zh = client.get(second.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "训练队列" in zh and "损失曲线会显示在这里" in zh
    # a finished run says nothing of a queue; a private queued run is still nobody else's page
    TrainingRun.objects.filter(pk=first.pk).update(status=TrainingRun.Status.COMPLETED)
    done = client.get(first.get_absolute_url()).content.decode()
    assert "queue-place" not in done and "curves-pending" not in done
    TrainingRun.objects.filter(pk=second.pk).update(private=True)
    client.force_login(bob)
    assert client.get(second.get_absolute_url()).status_code == 404
