"""Lesson widgets: the Markdown block, cached figures for visitors, members' quota, bad input,
live trainings, lessons marked done."""

import pytest
from django.test import Client, override_settings

from agora.core.markdown import render
from agora.forum.models import Category
from agora.lab.models import JobPriority
from agora.learn import widgets
from agora.learn.lessons import seed_lessons
from agora.learn.models import Article, LessonCompletion, WidgetFrame, WidgetResult

PNG = b"\x89PNG"


@pytest.fixture
def tutorials(db):
    return Category.objects.get_or_create(slug="tutorials", defaults={"name": "Tutorials"})[0]


@pytest.fixture
def lessons(tutorials, staff):
    seed_lessons(author=staff)
    return {a.series_part: a for a in Article.objects.filter(language="en")}


def schedules_url(t=300, T=1000, what="figure.png"):
    return f"/learn/widgets/schedules/{what}?t={t}&T={T}"


def test_a_widget_block_becomes_a_figure_and_bad_blocks_say_why(db):
    html = render("```widget schedules\nt: 40\n```\n")
    assert 'data-widget="schedules" data-state="t=40&amp;T=1000"' in html
    assert '<img src="/learn/widgets/schedules/figure.png?t=40&amp;T=1000"' in html
    bad = render('```widget schedules\nt: 4000\n```\n\n```widget x"><script>\n```\n')
    assert "“t” must be between 1 and 1000." in bad and "<script" not in bad
    assert bad.count('class="widget-error"') == 2 and "data-widget" not in bad


def test_visitors_see_cached_figures_but_cannot_compute_new_ones(alice):
    client, alice_client = Client(), Client()
    alice_client.force_login(alice)
    refused = client.get(schedules_url())
    assert refused.status_code == 403 and "Sign in" in refused.content.decode()
    assert not WidgetResult.objects.exists()
    computed = alice_client.get(schedules_url())
    assert computed.status_code == 200 and computed.content.startswith(PNG)
    cached = client.get(schedules_url())  # the same state: the same bytes, for a visitor
    assert cached.status_code == 200 and cached.content == computed.content
    assert WidgetResult.objects.count() == 1


def test_the_figures_a_staff_lesson_places_are_computed_for_its_first_visitor(client, lessons):
    lesson = lessons[1]
    declared = WidgetResult.objects.filter(status="declared", kind="schedules")
    assert declared.count() == 1 and declared.get().requested_by is None
    page = client.get(lesson.get_absolute_url()).content.decode()
    figure = page.split('class="widget-figure" src="')[2].split('"')[0].replace("&amp;", "&")
    response = client.get(figure)
    assert response.status_code == 200 and response.content.startswith(PNG)
    assert WidgetResult.objects.get(kind="schedules").status == "done"


@override_settings(LEARN_WIDGET_QUOTA_PER_HOUR=2)
def test_members_compute_within_an_hourly_quota(alice_client, bob):
    assert alice_client.get(schedules_url(t=1)).status_code == 200
    assert alice_client.get(schedules_url(t=2)).status_code == 200
    again = alice_client.get(schedules_url(t=1))  # cached: free
    assert again.status_code == 200
    over = alice_client.get(schedules_url(t=3, what="panel/"))
    assert over.status_code == 403
    assert "2 new figures in the last hour" in over.content.decode()
    assert WidgetResult.objects.count() == 2
    alice_client.force_login(bob)  # another member has a quota of their own
    assert alice_client.get(schedules_url(t=3)).status_code == 200


@pytest.mark.parametrize(
    "query, message",
    [
        ("t=abc", "“t” must be a whole number."),
        ("t=5000", "“t” must be between 1 and 1000."),
        ("t=nan", "“t” must be a whole number."),
        ("colour=red", "Unknown setting “colour” for this figure."),
        ("t=" + "9" * 50, "“t” is too long."),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_cached(alice_client, query, message):
    for what in ("figure.png", "panel/", ""):
        response = alice_client.get(f"/learn/widgets/schedules/{what}?{query}")
        assert response.status_code == 400
        assert response.content.decode() == message
    assert (
        alice_client.get("/learn/widgets/forward-process/panel/?schedule=square").status_code == 400
    )
    assert alice_client.get("/learn/widgets/nothing/figure.png").status_code == 404
    assert not WidgetResult.objects.exists()


def test_the_forward_process_matches_its_closed_form_numbers(alice_client):
    response = alice_client.get("/learn/widgets/forward-process/panel/?t=1000&image=digit-7")
    body = response.content.decode()
    assert response.status_code == 200 and "ᾱ_t" in body and "0.00004" in body
    assert "/lab/runs/new/?family=diffusion" in body and "Share to the forum" in body


def test_a_live_gan_training_streams_frames(alice_client, django_capture_on_commit_callbacks):
    url = "/learn/widgets/gan-game/panel/?steps=50&loss=minimax&data=moons"
    with django_capture_on_commit_callbacks(execute=True):
        first = alice_client.get(url)
    assert first.status_code == 200
    row = WidgetResult.objects.get(kind="gan-game")
    assert row.status == "done" and row.frame_count == WidgetFrame.objects.count() >= 10
    panel = alice_client.get(url).content.decode()
    assert "every 1s" not in panel and "/learn/widgets/gan-game/figure.png?" in panel
    frame = alice_client.get(f"/learn/widget-frames/{row.id}/0.png")
    assert frame.status_code == 200 and frame.content.startswith(PNG)


def test_a_running_training_is_polled_and_shows_its_progress(alice_client):
    # Without the commit hook the worker never ran: the row waits, the panel polls.
    response = alice_client.get("/learn/widgets/gan-game/panel/?steps=50")
    body = response.content.decode()
    assert response.status_code == 200 and 'data-hx-trigger="every 1s"' in body
    assert "Waiting for a worker" in body


def test_lesson_page_costs_a_constant_number_of_queries(
    client, alice, lessons, django_assert_num_queries
):
    url = lessons[3].get_absolute_url()
    with django_assert_num_queries(3):
        page = client.get(url)
    body = page.content.decode()
    assert body.count('type="range"') >= 8 and "<math" in body
    assert '<label for="w3-z1" class="widget-label">' in body
    client.force_login(alice)
    client.get(url)  # the first visit of the day writes the visit and the session
    with django_assert_num_queries(8):
        client.get(url)


def test_members_mark_lessons_done_and_their_profile_lists_them(client, alice, lessons):
    lesson = lessons[1]
    done_url = f"/learn/{lesson.slug}/done/"
    assert client.post(done_url).status_code == 302 and not LessonCompletion.objects.exists()
    client.force_login(alice)
    assert client.post(done_url).status_code == 302
    assert client.post(done_url).status_code == 302  # twice: still once
    assert LessonCompletion.objects.filter(user=alice).count() == 1
    assert "You finished this lesson." in client.get(lesson.get_absolute_url()).content.decode()
    profile = client.get("/u/alice/").content.decode()
    assert lesson.title in profile
    client.post(done_url, {"undo": "1"})
    assert not LessonCompletion.objects.exists()


def test_only_staff_and_the_authors_edit_a_lesson(alice_client, lessons):
    lesson = lessons[1]
    assert alice_client.get(f"/learn/{lesson.slug}/edit/").status_code == 403
    response = alice_client.post(
        f"/learn/{lesson.slug}/edit/", {"title": "Mine now", "summary": "", "body": "x" * 30}
    )
    assert response.status_code == 403
    assert Article.objects.get(pk=lesson.pk).title == lesson.title


def test_a_member_article_declares_nothing(alice, tutorials):
    from agora.learn import services

    services.create_article(
        author=alice,
        title="My own widgets",
        body="```widget schedules\nt: 999\n```\n\nSome text to make it long enough.",
        difficulty="beginner",
        language="en",
        area="diffusion",
    )
    assert not WidgetResult.objects.exists()


def test_a_figure_shared_to_the_forum_is_prefilled_and_shows_the_cached_figure(
    alice_client, tutorials
):
    alice_client.get(schedules_url(t=77))
    panel = alice_client.get(schedules_url(t=77, what="panel/")).content.decode()
    share = panel.split('href="/new-topic/?')[1].split('"')[0]
    form = alice_client.get("/new-topic/?" + share.replace("&amp;", "&")).content.decode()
    assert "```widget schedules" in form and "t: 77" in form
    html = render("```widget schedules\nt: 77\nT: 1000\n```")
    assert "/learn/widgets/schedules/figure.png?t=77&amp;T=1000" in html


def test_the_state_key_does_not_depend_on_the_order_of_settings():
    widget = widgets.get("forward-process")
    a = widget.parse({"t": "5", "seed": "1"})
    b = widget.parse({"seed": "1", "t": "5"})
    assert widgets.state_key("forward-process", a) == widgets.state_key("forward-process", b)


def test_the_vae_map_decodes_points_of_the_zoo_vaes_beta_1_and_4(alice_client):
    from genlab import zoo

    first = alice_client.get("/learn/widgets/vae-map/panel/?z1=1.0").content.decode()
    assert 'data-extent="3.0"' in first
    one = WidgetResult.objects.get(kind="vae-map")
    weights = zoo.get_model("digits8-vae2d").weights_sha256
    assert one.state["model"] == "zoo:digits8-vae2d" and one.state["checkpoint"] == weights[:16]
    assert not WidgetResult.objects.filter(kind="vae-train").exists()  # nothing trained for it
    moved = alice_client.get("/learn/widgets/vae-map/figure.png?z1=-2.0&z2=0.5")
    assert moved.status_code == 200 and moved.content.startswith(PNG)
    four = alice_client.get("/learn/widgets/vae-map/figure.png?beta=4&z1=-2.0&z2=0.5")
    assert four.status_code == 200 and four.content.startswith(PNG)
    assert four.content != moved.content  # β = 4 is another model: another plane
    assert WidgetResult.objects.get(kind="vae-map", state__beta="4").state["model"] == (
        "zoo:digits8-vae2d-beta4"
    )
    between = alice_client.get("/learn/widgets/vae-interpolate/figure.png?a=0&b=9&n=5")
    assert between.status_code == 200 and between.content.startswith(PNG)


def test_without_the_zoo_vae_the_map_says_so_and_stores_nothing(alice_client, monkeypatch):
    from agora.learn.widgets import compute

    monkeypatch.setattr(compute, "zoo_entry", lambda name: None)  # a build without its weights
    panel = alice_client.get("/learn/widgets/vae-map/panel/?z1=1.0")
    assert "no lesson VAE in its model zoo" in panel.content.decode()
    figure = alice_client.get("/learn/widgets/vae-interpolate/figure.png")
    assert figure.status_code == 503 and "no lesson VAE" in figure.content.decode()
    assert not WidgetResult.objects.exists()


def test_the_live_vae_training_streams_its_elbo(alice_client, django_capture_on_commit_callbacks):
    url = "/learn/widgets/vae-train/panel/?steps=50&beta=4"
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.get(url).status_code == 200
    row = WidgetResult.objects.get(kind="vae-train")
    assert row.status == "done" and row.frame_count >= 10 and row.requested_by is not None
    assert [n[0] for n in row.data["numbers"]] == ["step", "reconstruction", "KL", "ELBO"]


def test_a_visitor_never_starts_a_training_not_even_a_lessons_own(
    alice_client, lessons, django_capture_on_commit_callbacks
):
    client = Client()  # a visitor
    url = "/learn/widgets/gan-game/panel/?data=8gaussians&loss=nonsaturating&steps=600&seed=0"
    declared = WidgetResult.objects.get(kind="gan-game")
    assert declared.status == "declared"
    with django_capture_on_commit_callbacks() as woken:
        refused = client.get(url)
        page = client.get("/learn/widgets/gan-game/")  # the permalink of its default state
    assert refused.status_code == 403 and "Sign in to compute them" in refused.content.decode()
    assert page.status_code == 200 and "Sign in to compute them" in page.content.decode()
    assert woken == [] and WidgetResult.objects.get(pk=declared.pk).status == "declared"
    with django_capture_on_commit_callbacks() as woken:
        queued = alice_client.get(url)  # a member starts it, on the lesson's account
    assert queued.status_code == 200 and "Waiting for a worker" in queued.content.decode()
    row = WidgetResult.objects.get(pk=declared.pk)
    assert row.status == "queued" and row.requested_by is None and len(woken) == 1
    assert row.priority == JobPriority.MEMBER  # a member is waiting for it
    watching = client.get(url)  # now the visitor watches it train
    assert watching.status_code == 200 and 'data-hx-trigger="every 1s"' in watching.content.decode()


def test_the_demo_seed_warms_every_figure_the_lessons_place(
    client, lessons, monkeypatch, django_capture_on_commit_callbacks
):
    from agora.learn import widget_services

    with django_capture_on_commit_callbacks() as woken:
        drawn, queued = widget_services.warm_declared()
    live = {k for k, w in widgets.WIDGETS.items() if w.live}
    rows = WidgetResult.objects.all()
    assert queued == len(woken) == rows.filter(kind__in=live).count() >= 4
    assert drawn == rows.exclude(kind__in=live).count() >= 7
    assert not rows.filter(status="declared").exists()
    # warm-ups nobody asked for: they wait behind every member's job (agora/lab/lane.py)
    assert set(rows.filter(kind__in=live).values_list("priority", flat=True)) == {
        JobPriority.BACKGROUND
    }
    assert set(rows.values_list("kind", flat=True)) == set(widgets.WIDGETS)  # every kind
    for row in rows.exclude(kind__in=live):
        assert row.status == "done" and row.png and row.requested_by is None
    from agora.core import jobs

    woken_ids: list[int] = []
    monkeypatch.setattr(jobs, "wake", lambda task, pk: woken_ids.append(pk))
    for wake in woken:
        wake()
    order = [WidgetResult.objects.get(pk=pk).kind for pk in woken_ids]
    assert order[-1] == "sampler-table" and {"gan-game", "vae-train"} <= set(order[:-1])
    # a visitor now reads every lesson's figures from the cache: nothing is drawn for them
    monkeypatch.setattr(widget_services, "_function", lambda widget: pytest.fail("computed"))
    for row in rows.exclude(kind__in=live):
        query = widgets.get(row.kind).query(row.state)
        response = client.get(f"/learn/widgets/{row.kind}/figure.png?{query}")
        assert response.status_code == 200 and response.content == bytes(row.png), row.kind
    for lesson in lessons.values():
        assert client.get(lesson.get_absolute_url()).status_code == 200
    assert widget_services.warm_declared() == (0, 0)  # twice: nothing more to do


def test_the_reverse_process_samples_from_the_newest_public_diffusion_model(
    alice, alice_client, django_capture_on_commit_callbacks, monkeypatch
):
    from agora.lab.services import publishing, runs
    from agora.learn.widgets import reverse

    monkeypatch.setattr(reverse, "zoo_model", lambda: None)  # a build without the model zoo
    none_yet = alice_client.get("/learn/widgets/reverse-process/panel/?steps=10")
    assert "no public diffusion model" in none_yet.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.create_run(
            owner=alice, title="t", family="diffusion", dataset="moons", preset="quick", steps=20
        )
    run.refresh_from_db()
    model = publishing.publish_model(
        user=alice, run=run, name="Moons", card="", licence="mit", private=False
    )
    ddim = alice_client.get("/learn/widgets/reverse-process/panel/?steps=10").content.decode()
    ddpm = alice_client.get("/learn/widgets/reverse-process/panel/?sampler=ddpm").content.decode()
    assert "<dd>10</dd>" in ddim and "<dd>1000</dd>" in ddpm  # network calls
    row = WidgetResult.objects.filter(kind="reverse-process").first()
    assert row.state["model"] == model.id
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.get("/learn/widgets/sampler-table/panel/")
    table = WidgetResult.objects.get(kind="sampler-table")
    assert table.status == "done" and len(table.data["table"]["rows"]) == 5
    assert "MMD²" in alice_client.get("/learn/widgets/sampler-table/panel/").content.decode()


def test_the_reverse_process_prefers_the_model_zoo_when_it_is_built():
    from agora.learn.widgets import reverse
    from genlab import zoo

    built = [m for m in zoo.list_models() if m.family == "diffusion" and m.built]
    state = reverse.model_state()
    assert built and state["model"].startswith("zoo:")
    assert state["checkpoint"] == zoo.get_model(state["model"][4:]).weights_sha256[:16]


def test_the_gpt_lesson_shows_the_next_character_and_one_head_over_the_prompt(
    alice_client, lessons
):
    from agora.learn.widgets import gpt

    client = Client()  # a visitor
    lesson = lessons[5]
    assert lesson.topic_id is not None  # its own discussion thread, like lessons 1-4
    chinese = Article.objects.get(series__title="动手学生成模型", series_part=5)
    zh = client.get(chinese.get_absolute_url(), headers={"accept-language": "zh-hans"})
    assert "下一个字" in zh.content.decode() and "温度 T" in zh.content.decode()
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert page.count("<math") >= 3 and 'value="床前明月光"' in page
    assert 'data-hx-trigger="load"' in page  # the panels (figure and table) load with the page
    # a visitor: the lesson's own settings are computed for them, as SVG with the characters
    panel = client.get("/learn/widgets/gpt-next/panel/?prompt=床前明月光&temperature=1.0&top_p=0.9")
    body = panel.content.decode()
    assert panel.status_code == 200 and "characters in the nucleus" in body
    figure = client.get("/learn/widgets/gpt-next/figure.png?prompt=床前明月光")
    assert figure["Content-Type"] == "image/svg+xml" and figure.content.startswith(b"<svg")
    assert "床前明月光" in figure.content.decode() and "<script" not in figure.content.decode()
    # new settings: members only; a colder temperature keeps fewer characters
    moved = "/learn/widgets/gpt-next/panel/?prompt=床前明月光&temperature=0.1&top_p=0.9"
    assert client.get(moved).status_code == 403
    cold = alice_client.get(moved).content.decode()
    row = WidgetResult.objects.get(kind="gpt-next", state__temperature=0.1)
    assert (
        row.data["numbers"][0][1]
        < WidgetResult.objects.get(kind="gpt-next", state__temperature=1.0).data["numbers"][0][1]
    )
    assert row.state["model"] == "zoo:tang-gpt" and "<td>✓</td>" in cold
    kept = [r for r in row.data["table"]["rows"] if r[3] == "✓"]
    assert abs(sum(float(r[4]) for r in kept) - 1) < 0.01 or len(kept) == 20
    # one head: rows over the prompt, and the layer and head the model has
    heat = alice_client.get("/learn/widgets/gpt-attention/panel/?prompt=春風&layer=4&head=2")
    assert heat.status_code == 200 and "looks most at" in heat.content.decode()
    data = WidgetResult.objects.get(kind="gpt-attention", state__layer=4).data
    assert [r[1] for r in data["table"]["rows"]] == [gpt.START, "春", "風"]
    assert data["table"]["rows"][0][2] == gpt.START  # the start token can only look at itself


def test_the_gpt_widgets_refuse_a_prompt_the_model_cannot_read(alice_client, tutorials):
    simplified = alice_client.get("/learn/widgets/gpt-next/figure.png?prompt=春风")
    assert simplified.status_code == 400
    message = simplified.content.decode()
    assert "does not know these characters: 风" in message and "traditional" in message
    typed = alice_client.get(
        "/learn/widgets/gpt-next/panel/?prompt=春风", headers={"HX-Request": "true"}
    )
    assert typed.status_code == 400 and 'class="widget-panel"' in typed.content.decode()
    assert alice_client.get("/learn/widgets/gpt-attention/figure.png?layer=9").status_code == 400
    long = alice_client.get("/learn/widgets/gpt-next/figure.png?prompt=" + "春" * 30)
    assert long.status_code == 400 and "at most 24 characters" in long.content.decode()
    assert not WidgetResult.objects.exists()
    bad = render("```widget gpt-next\nprompt: 春风\n```\n")
    assert 'class="widget-error"' in bad and "风" in bad


def test_a_member_noises_their_own_work_and_nobody_else_sees_a_private_one(
    alice, bob, lessons, settings, tmp_path
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from agora.gallery import services as gallery

    settings.MEDIA_ROOT = tmp_path
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, format="PNG")
    work, _notes = gallery.upload_work(
        author=alice,
        upload=SimpleUploadedFile("w.png", picture.getvalue()),
        title="Canary fox 7f3a",
        private=True,
    )
    owner, other, visitor = Client(), Client(), Client()
    owner.force_login(alice)
    other.force_login(bob)
    lesson = lessons[1].get_absolute_url()
    assert (
        f'<option value="work-{work.pk}">Canary fox 7f3a</option>'
        in owner.get(lesson).content.decode()
    )
    assert "Canary fox 7f3a" not in other.get(lesson).content.decode()
    url = f"/learn/widgets/forward-process/figure.png?image=work-{work.pk}&t=50"
    mine = owner.get(url)
    assert mine.status_code == 200 and mine.content.startswith(PNG)
    assert mine["Cache-Control"].startswith("private")
    # cached now, but still alice's: bob and a visitor get the same refusal as for no work at all
    for client in (other, visitor):
        refused = client.get(url)
        assert refused.status_code == 403 and mine.content not in refused.content
        assert f"no work #{work.pk} that you may use" in refused.content.decode()
        missing = client.get(url.replace(f"work-{work.pk}", "work-999999"))
        assert missing.content.decode().replace("999999", str(work.pk)) == refused.content.decode()
    panel = other.get(url.replace("figure.png", "panel/")).content.decode()
    assert "Canary fox" not in panel and "widget-figure" not in panel
    row = WidgetResult.objects.get(state__image=f"work-{work.pk}")
    assert row.state["work_file"] == work.image.name  # a new upload under the id: a new key
    work.private = False  # shared publicly: now anyone may look at its noising
    work.save(update_fields=["private"])
    assert visitor.get(url).content == mine.content


def test_live_lesson_trainings_wait_in_the_training_queue():
    from agora.celery import app
    from agora.learn import tasks

    def queue(task):
        return app.amqp.router.route({}, task.name, args=(1,), kwargs={})["queue"].name

    assert queue(tasks.run_widget) == "training"
    assert queue(tasks.sweep_widgets) != "training"  # the sweep only wakes rows: quick


def _upload(author, title, *, private, colour=(200, 30, 30)):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from agora.gallery import services as gallery

    picture = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(picture, format="PNG")
    work, _notes = gallery.upload_work(
        author=author,
        upload=SimpleUploadedFile("w.png", picture.getvalue()),
        title=title,
        private=private,
    )
    return work


def test_the_figures_of_a_deleted_work_are_deleted_with_it(
    alice, bob, staff, lessons, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from agora.accounts.services import delete_member
    from agora.gallery.models import Work

    settings.MEDIA_ROOT = tmp_path
    secret = _upload(alice, "Canary heron 91c2", private=True)
    shared = _upload(alice, "Public heron", private=False, colour=(20, 90, 200))
    owner, other, admin, visitor = Client(), Client(), Client(), Client()
    owner.force_login(alice)
    other.force_login(bob)
    admin.force_login(staff)
    urls = {
        work.pk: f"/learn/widgets/forward-process/figure.png?image=work-{work.pk}&t=40"
        for work in (secret, shared)
    }
    figures = {pk: owner.get(url).content for pk, url in urls.items()}
    secret_id = secret.pk
    assert all(png.startswith(PNG) for png in figures.values())
    assert other.get(urls[shared.pk]).content == figures[shared.pk]  # public: anyone's view
    refused = other.get(urls[secret.pk])  # before: only alice (and staff) see the private one
    assert refused.status_code == 403 and figures[secret.pk] not in refused.content
    assert visitor.get(urls[secret.pk]).status_code == 403
    # a delete that rolls back keeps them
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        Work.objects.filter(pk=secret_id).delete()
        raise RuntimeError("the delete rolls back")
    assert WidgetResult.objects.filter(state__image=f"work-{secret_id}").exists()
    # alice's account is deleted, and her works with it (a cascade): their figures go on commit
    with django_capture_on_commit_callbacks(execute=True):
        delete_member(actor=staff, member=alice)
    for pk in urls:
        assert not WidgetResult.objects.filter(state__image=f"work-{pk}").exists()
    stored = [bytes(png) for png in WidgetResult.objects.values_list("png", flat=True) if png]
    assert not any(png in stored for png in figures.values())
    for client in (other, admin, visitor):  # after: nobody, staff neither
        for pk, url in urls.items():
            response = client.get(url)
            assert response.status_code == 403 and figures[pk] not in response.content
            assert f"no work #{pk} that you may use" in response.content.decode()
    assert "Canary heron" not in other.get(lessons[1].get_absolute_url()).content.decode()


def test_a_work_made_private_stops_showing_its_cached_figure_to_others(
    alice, bob, lessons, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    work = _upload(alice, "Canary wren 4d1e", private=False)
    url = f"/learn/widgets/forward-process/figure.png?image=work-{work.pk}&t=10"
    owner, other = Client(), Client()
    owner.force_login(alice)
    other.force_login(bob)
    figure = other.get(url)
    assert figure.status_code == 200 and figure["Cache-Control"].startswith("private")
    work.private = True
    work.save(update_fields=["private"])
    # the cached row stays (alice may still look), but every read asks who may see the work
    refused = other.get(url)
    assert refused.status_code == 403 and figure.content not in refused.content
    assert Client().get(url).status_code == 403
    assert owner.get(url).content == figure.content
