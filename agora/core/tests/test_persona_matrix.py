"""Who may do what, over every HTML view and htmx fragment: one row per URL pattern with the
status each persona gets, so a new view fails this test until someone classifies it. Also: CSRF
on every state change, session fixation and logout, login throttling, and private content kept
out of search, feeds, sitemaps and notifications."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agora.conftest import PASSWORD
from agora.core.tests import world

PERSONAS = ["anonymous", "stranger", "member", "owner", "staff"]

# name: GET as (anonymous, stranger charlie, member bob, owner alice, staff), then an empty POST
# as (anonymous, stranger). alice owns the objects (her work, run, model, generation and
# collection are private); bob is her correspondent. 302 for anonymous is "log in first"; 405 is
# "not this method"; 404 hides what the viewer may not know exists. None: not asserted (the
# health probe answers 503 until a worker has beaten).
MATRIX: dict[str, tuple[int | None, ...]] = {
    "home": (200, 200, 200, 200, 200, 200, 200),
    "sitemap": (200, 200, 200, 200, 200, 405, 405),
    "robots_txt": (200, 200, 200, 200, 200, 405, 405),
    "healthz": (None, None, None, None, None, 405, 405),
    "set_language": (405, 405, 405, 405, 405, 302, 302),
    "set_timezone": (405, 405, 405, 405, 405, 400, 400),
    "members": (200, 200, 200, 200, 200, 405, 405),
    "member_suggestions": (200, 200, 200, 200, 200, 405, 405),
    "profile": (200, 200, 200, 200, 200, 405, 405),
    "edit_profile": (302, 200, 200, 200, 200, 302, 302),
    "edit_preferences": (302, 200, 200, 200, 200, 302, 302),
    "change_avatar": (302, 405, 405, 405, 405, 302, 400),
    "remove_avatar": (302, 405, 405, 405, 405, 302, 302),
    "forum:latest": (200, 200, 200, 200, 200, 405, 405),
    "forum:new": (200, 200, 200, 200, 200, 405, 405),
    "forum:unread": (302, 200, 200, 200, 200, 405, 405),
    "forum:top": (200, 200, 200, 200, 200, 405, 405),
    "forum:categories": (200, 200, 200, 200, 200, 405, 405),
    "forum:category": (200, 200, 200, 200, 200, 405, 405),
    "forum:category_css": (200, 200, 200, 200, 200, 405, 405),
    "forum:tags": (200, 200, 200, 200, 200, 405, 405),
    "forum:tag_suggestions": (200, 200, 200, 200, 200, 405, 405),
    "forum:tag": (200, 200, 200, 200, 200, 405, 405),
    "forum:topic": (200, 200, 200, 302, 200, 405, 405),
    "forum:topic_post": (200, 200, 200, 200, 200, 405, 405),
    "forum:reply": (302, 405, 405, 405, 405, 302, 400),
    "forum:topic_notifications": (302, 405, 405, 405, 405, 302, 302),
    "forum:moderate_topic": (302, 405, 405, 405, 405, 302, 302),
    "forum:new_topic": (302, 200, 200, 200, 200, 302, 400),
    "forum:edit_post": (302, 403, 403, 200, 200, 302, 403),
    "forum:revisions": (200, 200, 200, 200, 200, 405, 405),
    "forum:delete_post": (302, 405, 405, 405, 405, 302, 403),
    "forum:restore_post": (302, 405, 405, 405, 405, 302, 403),
    "forum:like": (302, 405, 405, 405, 405, 302, 302),
    "forum:bookmark": (302, 405, 405, 405, 405, 302, 302),
    "forum:accept": (302, 405, 405, 405, 405, 302, 403),
    "forum:preview": (302, 405, 405, 405, 405, 302, 200),
    "forum:save_draft": (302, 405, 405, 405, 405, 302, 400),
    "forum:upload": (302, 405, 405, 405, 405, 302, 400),
    "forum:feed_latest": (200, 200, 200, 200, 200, 200, 200),
    "forum:feed_latest_atom": (200, 200, 200, 200, 200, 200, 200),
    "forum:feed_category": (200, 200, 200, 200, 200, 200, 200),
    "forum:feed_category_atom": (200, 200, 200, 200, 200, 200, 200),
    "forum:feed_tag": (200, 200, 200, 200, 200, 200, 200),
    "forum:feed_tag_atom": (200, 200, 200, 200, 200, 200, 200),
    "forum:feed_topic": (200, 200, 200, 200, 200, 200, 200),
    "forum:feed_topic_atom": (200, 200, 200, 200, 200, 200, 200),
    "forum:bookmarks": (302, 200, 200, 200, 200, 302, 405),
    "forum:messages": (302, 200, 200, 200, 200, 302, 405),
    "forum:new_message": (302, 200, 200, 200, 200, 302, 400),
    "notifications:index": (302, 200, 200, 200, 200, 302, 405),
    "notifications:open": (302, 404, 404, 302, 404, 302, 404),
    "notifications:read_all": (302, 405, 405, 405, 405, 302, 302),
    "notifications:settings": (302, 200, 200, 200, 200, 302, 400),
    # One-click unsubscribe (RFC 8058): the signed token in the URL is the credential.
    "notifications:unsubscribe": (200, 200, 200, 200, 200, 200, 200),
    "moderation:flag": (302, 405, 405, 405, 405, 302, 302),
    "moderation:review": (302, 403, 403, 403, 200, 302, 405),
    "moderation:resolve": (302, 405, 405, 405, 405, 302, 403),
    "moderation:log": (302, 403, 403, 403, 200, 302, 405),
    "events:list": (200, 200, 200, 200, 200, 405, 405),
    "events:create": (302, 200, 200, 200, 200, 302, 400),
    "events:detail": (200, 200, 200, 200, 200, 405, 405),
    "events:rsvp": (302, 405, 405, 405, 405, 302, 302),
    "events:cancel": (302, 405, 405, 405, 405, 302, 302),
    "events:materials": (302, 405, 405, 405, 405, 302, 403),
    "events:ics": (200, 200, 200, 200, 200, 405, 405),
    "events:my_calendar": (302, 200, 200, 200, 200, 302, 302),
    "events:calendar_feed": (200, 200, 200, 200, 200, 405, 405),
    "learn:index": (200, 200, 200, 200, 200, 405, 405),
    "learn:write": (302, 200, 200, 200, 200, 302, 200),
    "learn:import": (302, 405, 405, 405, 405, 302, 400),
    "learn:resources": (200, 200, 200, 200, 200, 405, 405),
    "learn:add_resource": (302, 200, 200, 200, 200, 302, 200),
    "learn:resource": (200, 200, 200, 200, 200, 405, 405),
    "learn:use_resource": (302, 405, 405, 405, 405, 302, 302),
    "learn:article": (200, 200, 200, 200, 200, 405, 405),
    "learn:edit": (302, 403, 403, 200, 200, 302, 403),
    "learn:revisions": (200, 200, 200, 200, 200, 405, 405),
    # A lesson marked done: members, by POST. Widgets: the page computes schedules' default
    # state for the first member (a visitor sees why not), then it is cached for everyone.
    "learn:done": (302, 405, 405, 405, 405, 302, 302),
    "learn:widget": (200, 200, 200, 200, 200, 405, 405),
    "learn:widget_figure": (200, 200, 200, 200, 200, 405, 405),
    "learn:widget_panel": (200, 200, 200, 200, 200, 405, 405),
    "learn:widget_frame": (404, 404, 404, 404, 404, 405, 405),
    "search:search": (200, 200, 200, 200, 200, 405, 405),
    "search:quick": (200, 200, 200, 200, 200, 405, 405),
    "showcase:launches": (200, 200, 200, 200, 200, 405, 405),
    "showcase:new_launch": (302, 200, 200, 200, 200, 302, 200),
    "showcase:launch": (200, 200, 200, 200, 200, 405, 405),
    "showcase:vote": (302, 405, 405, 405, 405, 302, 302),
    "showcase:try": (302, 405, 405, 405, 405, 302, 302),
    "showcase:export_signups": (302, 403, 403, 200, 403, 302, 405),
    "showcase:partners": (200, 200, 200, 200, 200, 405, 405),
    "showcase:new_partner": (302, 200, 200, 200, 200, 302, 200),
    "showcase:partner": (200, 200, 200, 200, 200, 405, 405),
    "showcase:close_partner": (302, 405, 405, 405, 405, 302, 403),
    "gallery:grid": (200, 200, 200, 200, 200, 405, 405),
    "pages:page": (200, 200, 200, 200, 200, 405, 405),
    "pages:edit": (302, 403, 403, 403, 200, 302, 403),
    "following:feed": (302, 200, 200, 200, 200, 302, 405),
    "following:follow": (302, 405, 405, 405, 405, 302, 302),
    "gallery:upload": (302, 200, 200, 200, 200, 302, 200),
    "gallery:viewer_settings": (302, 405, 405, 405, 405, 302, 302),
    "gallery:collection": (404, 404, 404, 200, 404, 405, 405),
    "gallery:work": (404, 404, 404, 200, 200, 405, 405),
    "gallery:react": (302, 405, 405, 405, 405, 302, 404),
    "gallery:comment": (302, 405, 405, 405, 405, 302, 404),
    "gallery:collect": (302, 405, 405, 405, 405, 302, 404),
    "gallery:nsfw": (302, 405, 405, 405, 405, 302, 404),
    "gallery:download": (404, 404, 404, 200, 200, 405, 405),
    "gallery:share": (302, 405, 405, 405, 405, 302, 404),
    "lab:index": (200, 200, 200, 200, 200, 405, 405),
    "lab:new_run": (302, 200, 200, 200, 200, 302, 200),
    "lab:compare": (200, 200, 200, 200, 200, 405, 405),
    "lab:run": (404, 404, 404, 200, 200, 405, 405),
    "lab:cancel": (302, 405, 405, 405, 405, 302, 404),
    "lab:resume": (302, 405, 405, 405, 405, 302, 404),
    "lab:share_run": (302, 405, 405, 405, 405, 302, 404),
    "lab:publish": (302, 405, 405, 405, 405, 302, 404),
    "lab:model": (404, 404, 404, 200, 200, 405, 405),
    "lab:checkpoint": (404, 404, 404, 200, 200, 405, 405),
    "lab:star": (302, 405, 405, 405, 405, 302, 404),
    "lab:generate": (302, 405, 405, 405, 405, 302, 404),
    "lab:generation": (404, 404, 404, 200, 200, 405, 405),
    "lab:reproduce": (302, 405, 405, 405, 405, 302, 404),
    "lab:share": (302, 405, 405, 405, 405, 302, 404),
    "lab:share_text": (302, 405, 405, 405, 405, 302, 404),
    "lab:datasets": (302, 200, 200, 200, 200, 302, 200),
    "challenges:index": (200, 200, 200, 200, 200, 405, 405),
    "challenges:new": (302, 403, 403, 403, 200, 302, 403),
    "challenges:feed": (200, 200, 200, 200, 200, 200, 200),
    "challenges:feed_atom": (200, 200, 200, 200, 200, 200, 200),
    "challenges:challenge": (200, 200, 200, 200, 200, 405, 405),
    "challenges:submit": (302, 405, 405, 405, 405, 302, 400),
    "challenges:follow": (302, 405, 405, 405, 405, 302, 302),
    "challenges:contests": (200, 200, 200, 200, 200, 405, 405),
    "challenges:new_contest": (302, 403, 403, 403, 200, 302, 403),
    "challenges:contest": (200, 200, 200, 200, 200, 405, 405),
    "challenges:enter": (302, 405, 405, 405, 405, 302, 400),
    "challenges:vote": (302, 405, 405, 405, 405, 302, 404),  # alice's entry is private now
    "media": (404, 404, 404, 200, 200, 405, 405),  # alice's private work's image
}

# Uploaded files, by kind (world._media_files): GET as (anonymous, stranger, member, owner,
# staff). Media of what can be private follow the thing itself; the rest is public.
MEDIA_MATRIX: dict[str, tuple[int, ...]] = {
    "private work image": (404, 404, 404, 200, 200),
    "private work thumbnail": (404, 404, 404, 200, 200),
    "private work, through another folder": (404, 404, 404, 200, 200),
    "public work image": (200, 200, 200, 200, 200),
    "private run sample": (404, 404, 404, 200, 200),
    "private generation image": (404, 404, 404, 200, 200),
    "uploaded data set preview": (404, 404, 404, 200, 200),
    "private model checkpoint": (404, 404, 404, 200, 200),
    "built-in data set preview": (200, 200, 200, 200, 200),
    "avatar": (200, 200, 200, 200, 200),
    "unknown file among works": (404, 404, 404, 404, 404),
    # Forum composer images follow the posts that show them (bob is the uploader in the private
    # category, alice in the others; alice is not an insider).
    "forum upload in a public topic": (200, 200, 200, 200, 200),
    "forum upload in a private category": (404, 404, 200, 404, 200),
    "forum upload in a message": (404, 404, 200, 200, 200),
    "forum upload no post uses yet": (404, 404, 404, 200, 200),
}

# State changes a stranger must not make (POST with real data): refused, nothing changed.
FORBIDDEN_POSTS = [
    ("forum:edit_post", {"raw": "Defaced by a stranger, sorry."}),
    ("forum:delete_post", {}),
    ("forum:accept", {}),
    ("forum:moderate_topic", {"action": "close"}),
    ("moderation:resolve", {"action": "hide"}),
    ("events:materials", {"slides_url": "https://evil.example/", "recording_url": ""}),
    ("learn:edit", {"title": "Defaced", "body": "Defaced body text", "summary": ""}),
    ("showcase:close_partner", {}),
    ("gallery:nsfw", {"level": "2"}),
    ("gallery:share", {}),
    ("lab:cancel", {}),
    ("lab:share_run", {"topic": ""}),
    ("lab:publish", {"name": "Stolen model", "card": "", "licence": "cc-by-4.0"}),
    ("lab:generate", {"count": "1", "seed": "1"}),
    ("lab:share", {"index": "0", "title": "Stolen"}),
    ("lab:share_text", {"topic": ""}),
    ("challenges:vote", {}),
]


@pytest.fixture
def site(db, alice, bob, charlie, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return world.build(alice=alice, bob=bob, charlie=charlie, staff=staff)


def _url(name: str, site: dict) -> str:
    return reverse(name, kwargs=site.get(name, {}))


def test_every_url_pattern_is_classified():
    names = {name for name, _route in world.url_patterns()}
    assert sorted(names - MATRIX.keys()) == [], "new views: add a row to MATRIX"
    assert sorted(MATRIX.keys() - names) == [], "views that are gone: drop their row"


def test_persona_matrix(site, alice, bob, charlie, staff):
    users = {"anonymous": None, "stranger": charlie, "member": bob, "owner": alice, "staff": staff}
    clients = {}
    for persona, user in users.items():
        clients[persona] = Client()
        if user is not None:
            clients[persona].force_login(user)
    wrong = []
    for name, expected in MATRIX.items():
        url = _url(name, site)
        for persona, status in zip(PERSONAS, expected[:5], strict=True):
            if status is None:
                continue
            got = clients[persona].get(url).status_code
            if got != status:
                wrong.append(f"GET {url} as {persona}: {got}, expected {status}")
        for persona, status in zip(["anonymous", "stranger"], expected[5:], strict=True):
            got = clients[persona].post(url, {}).status_code
            if got != status:
                wrong.append(f"POST {url} as {persona}: {got}, expected {status}")
        if expected[0] == 302:
            response = clients["anonymous"].get(url)
            assert response["Location"].startswith("/accounts/login/"), (name, response)
    assert wrong == []


def test_uploaded_files_follow_the_privacy_of_what_they_belong_to(site, alice, bob, charlie, staff):
    assert sorted(MEDIA_MATRIX) == sorted(site["_media"])
    users = {"anonymous": None, "stranger": charlie, "member": bob, "owner": alice, "staff": staff}
    wrong = []
    for persona, user in users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for label, expected in MEDIA_MATRIX.items():
            response = client.get("/media/" + site["_media"][label])
            status = expected[PERSONAS.index(persona)]
            if response.status_code != status:
                wrong.append(f"{label} as {persona}: {response.status_code}, expected {status}")
            elif status == 200 and expected[0] == 404:
                # Only this viewer may see it: no shared cache may keep it.
                assert response["Cache-Control"].startswith("private"), label
    assert wrong == []
    anonymous = Client()
    # Public for now but may turn private: revalidated; avatars and the like: cached a day.
    work = anonymous.get("/media/" + site["_media"]["public work image"])
    assert work["Cache-Control"] == "no-cache"
    avatar = anonymous.get("/media/" + site["_media"]["avatar"])
    assert avatar["Cache-Control"] == "public, max-age=86400"


def test_private_media_can_be_handed_to_the_proxy_after_the_check(site, alice, settings):
    settings.MEDIA_ACCEL_REDIRECT = "/protected-media/"
    path = site["_media"]["private work image"]
    assert Client().get("/media/" + path).status_code == 404
    client = Client()
    client.force_login(alice)
    response = client.get("/media/" + path)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected-media/" + path
    assert response["Content-Type"] == "image/webp"
    assert response.content == b""
    assert client.get("/media/../../etc/passwd").status_code == 404


def test_private_things_are_hidden_from_outsiders(site, alice, bob, charlie, staff):
    hidden = reverse("forum:topic", kwargs=site["_hidden_topic"])
    pm = reverse("forum:topic", kwargs=site["_pm"])
    for user, expect_hidden, expect_pm in [
        (None, 404, 404),
        (charlie, 404, 404),
        (alice, 404, 200),
        (bob, 200, 200),
    ]:
        client = Client()
        if user:
            client.force_login(user)
        assert client.get(hidden).status_code == expect_hidden
        assert client.get(pm).status_code == expect_pm


def test_a_stranger_cannot_change_what_is_not_theirs(site, charlie, alice):
    from agora.forum.models import Post, Topic

    before = (
        list(Post.objects.values_list("raw", "deleted_at").order_by("id")),
        list(Topic.objects.values_list("closed", "accepted_answer_id").order_by("id")),
    )
    client = Client()
    client.force_login(charlie)
    for name, data in FORBIDDEN_POSTS:
        status = client.post(_url(name, site), data).status_code
        assert status in {403, 404}, (name, status)
    after = (
        list(Post.objects.values_list("raw", "deleted_at").order_by("id")),
        list(Topic.objects.values_list("closed", "accepted_answer_id").order_by("id")),
    )
    assert after == before


@pytest.fixture
def committed_site(transactional_db, alice, bob, charlie, staff, settings, tmp_path):
    """Built with its on-commit work done: search index, notifications."""
    from agora.forum.models import Topic
    from agora.forum.services import create_post

    settings.MEDIA_ROOT = tmp_path
    built = world.build(alice=alice, bob=bob, charlie=charlie, staff=staff)
    hidden = Topic.objects.get(pk=built["_hidden_topic"]["topic_id"])
    create_post(author=bob, topic=hidden, raw="@charlie you will never see this roadmap note")
    return built


SECRET_WORDS = ["roadmap", "Insiders", "private word", "Private sunset", "My private model"]


def test_private_content_stays_out_of_search_feeds_sitemap_and_notifications(
    committed_site, alice, bob, charlie, django_assert_max_num_queries
):
    anonymous = Client()
    with django_assert_max_num_queries(15):
        sitemap = anonymous.get("/sitemap.xml")
    assert sitemap.status_code == 200
    xml = sitemap.content.decode()
    assert "/t/samplers-compared-at-twenty-steps/" in xml and "/u/alice/" in xml
    assert "/c/lounge/" in xml and "/learn/getting-started-with-lora/" in xml
    assert "/t/insiders-only" not in xml and "/t/a-private-word" not in xml
    assert "/c/secret/" not in xml
    private_work = reverse("gallery:work", kwargs=committed_site["gallery:work"])
    assert private_work not in xml and "/gallery/" in xml  # the public work is listed
    for feed in ["/latest.rss", "/latest.atom", "/c/lounge.rss", "/tag/samplers.atom"]:
        body = anonymous.get(feed).content.decode()
        assert "Samplers compared" in body or "samplers" in body.lower(), feed
        for word in SECRET_WORDS:
            assert word not in body, (feed, word)

    for feed in ["/challenges/feed.rss", "/challenges/feed.atom"]:
        body = anonymous.get(feed).content.decode()
        assert "Moons in a minute" in body, feed
        for word in SECRET_WORDS:
            assert word not in body, (feed, word)

    stranger = Client()
    stranger.force_login(charlie)
    # alice's contest entry is a work she has since made private: the contest hides it as the
    # gallery does, from visitors and other members alike
    contest = reverse("challenges:contest", kwargs=committed_site["challenges:contest"])
    for client in (anonymous, stranger):
        page = client.get(contest).content.decode()
        assert "Sunsets over water" in page and "Private sunset" not in page
    for word in SECRET_WORDS:
        for kind in ["posts", "topics"]:
            for client in (anonymous, stranger):
                page = client.get("/search/", {"q": word, "kind": kind}).content.decode()
                assert f"/t/{committed_site['_hidden_topic']['slug']}" not in page, word
                assert f"/t/{committed_site['_pm']['slug']}" not in page, word
        quick = stranger.get("/search/quick/", {"q": word}).content.decode()
        assert "insiders-only" not in quick and "a-private-word" not in quick
    insider = Client()
    insider.force_login(bob)
    assert "insiders-only" in insider.get("/search/", {"q": "roadmap"}).content.decode()

    notices = stranger.get("/notifications/").content.decode()
    assert "roadmap" not in notices and "insiders" not in notices.lower()
    assert charlie.notifications.count() == 0  # the mention in a category he cannot see
    assert bob.notifications.filter(topic_id=committed_site["_pm"]["topic_id"]).exists()


# --- CSRF, sessions, throttling -------------------------------------------------------------


# Mail clients POST one-click unsubscribes with no session and no CSRF token (RFC 8058); the
# signed token in the URL is what authorises it, and it can only turn emails off.
CSRF_EXEMPT = {"notifications:unsubscribe"}


def test_every_state_change_needs_the_csrf_token(site, alice):
    """A cross-site form (no token) is refused on every Agora URL, logged in or not."""
    for user in [alice, None]:
        client = Client(enforce_csrf_checks=True)
        if user:
            client.force_login(user)
        for name in MATRIX.keys() - CSRF_EXEMPT:
            url = _url(name, site)
            assert client.post(url, {}).status_code == 403, url


def test_login_rotates_the_session_key_and_logout_kills_the_old_cookie(db, alice):
    client = Client()
    client.get("/accounts/login/")
    client.session["planted"] = "by an attacker"  # a session the visitor had before logging in
    session = client.session
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after and after != before  # fixation: the pre-login key is not the member's key
    assert client.get("/settings/profile/").status_code == 200

    stolen = Client()
    stolen.cookies["sessionid"] = after
    assert stolen.get("/settings/profile/").status_code == 200
    client.post("/accounts/logout/")
    assert stolen.get("/settings/profile/").status_code == 302  # the old cookie is dead
    assert client.get("/settings/profile/").status_code == 302


def test_repeated_failed_logins_are_throttled(db, alice, settings):
    client = Client()
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": "alice", "password": "wrong-one"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code in {200, 429}
    assert "_auth_user_id" not in client.session  # even the right password waits now
    assert "Too many failed login attempts" in response.content.decode()
