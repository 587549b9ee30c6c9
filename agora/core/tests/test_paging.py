"""Every growing list pages by cursor: walking its pages (on the site, without and with htmx,
and in the API) shows every item exactly once, in order, at a constant number of queries a page;
a cursor that cannot be read gives the first page."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agora.api.models import WebhookDelivery, WebhookEndpoint
from agora.core.paging import decode_cursor, encode_cursor, keyset_page
from agora.events.models import Event
from agora.forum import services as forum_services
from agora.forum.models import Bookmark, Category, Draft
from agora.gallery.models import Collection, Work
from agora.lab.models import Generation, LabModel, TrainingRun
from agora.learn.models import Article, Resource
from agora.moderation.models import Flag, StaffAction
from agora.showcase.models import Launch, PartnerRequest

# Session, member, daily visit, rate-limit rows of the database cache (tests), the page rows.
QUERIES_PER_PAGE = 22
GARBAGE = [
    "garbage",
    "!!!",
    "bm90OmEgY3Vyc29y",
    "x" * 500,
    "LTE6LTE=",
    "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OjE=",
]


@dataclass
class Listing:
    """One list: how to fill it, where it is shown, and how to read its items back."""

    expected: list[str]  # labels, in the order the list shows them
    page_url: str | None  # the HTML page (query string included), or None for API-only lists
    more_text: str  # the text of the page's "more" link
    label: str  # a regular expression matching one item's label in the page
    api_url: str
    api_label: Callable[[dict], str]


def _labels(pattern: str, html: str) -> list[str]:
    seen: list[str] = []
    for found in re.findall(pattern, html):
        if found not in seen:  # a label may appear twice in one row (a link and its title)
            seen.append(found)
    return seen


def _more(html: str, text: str) -> tuple[str, str] | None:
    """(href, hx-get) of the page's "more" link with this text, or None on the last page."""
    found = re.search(
        r'<a href="([^"]*)" data-hx-get="([^"]*)"[^>]*>' + re.escape(text) + "</a>", html
    )
    return (unescape(found.group(1)), unescape(found.group(2))) if found else None


def _walk_site(client, listing: Listing, *, htmx: bool, assert_queries) -> list[str]:
    path = listing.page_url.split("?")[0]
    url, shown, pages = listing.page_url, [], 0
    while url:
        headers = {"HTTP_HX_REQUEST": "true"} if htmx and pages else {}
        with assert_queries(QUERIES_PER_PAGE):
            response = client.get(url, **headers)
        assert response.status_code == 200
        html = response.content.decode()
        if htmx and pages:
            assert "<html" not in html  # only the next rows and the next "more"
        shown += _labels(listing.label, html)
        pages += 1
        link = _more(html, listing.more_text)
        url = (path + (link[1] if htmx else link[0])) if link else None
    assert pages > 1
    return shown


def _walk_api(client, listing: Listing, *, assert_queries) -> list[str]:
    cursor, shown, pages = None, [], 0
    while True:
        url = listing.api_url
        if cursor:
            url += ("&" if "?" in url else "?") + urlencode({"cursor": cursor})
        with assert_queries(QUERIES_PER_PAGE):
            response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        shown += [listing.api_label(item) for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages > 1
    return shown


def _events(staff) -> list[Listing]:
    now = timezone.now()
    upcoming, past = [], []
    for i in range(35):  # two events start at each moment: the id breaks the tie
        upcoming.append(
            Event(
                title=f"Up-{i:03d}",
                description="x",
                description_html="x",
                organizer=staff,
                starts_at=now + timedelta(days=1, hours=i // 2),
                ends_at=now + timedelta(days=1, hours=i // 2 + 1),
                timezone="UTC",
            )
        )
        past.append(
            Event(
                title=f"Past-{i:03d}",
                description="x",
                description_html="x",
                organizer=staff,
                starts_at=now - timedelta(days=2, hours=i // 2),
                ends_at=now - timedelta(days=1, hours=i // 2),
                timezone="UTC",
            )
        )
    Event.objects.bulk_create(upcoming + past)
    soonest = Event.objects.filter(title__startswith="Up-").order_by("starts_at", "id")
    latest = Event.objects.filter(title__startswith="Past-").order_by("-starts_at", "-id")
    return [
        Listing(
            [e.title for e in soonest],
            reverse("events:list"),
            "More upcoming events",
            r"Up-\d{3}",
            "/api/v1/events",
            lambda item: item["title"],
        ),
        Listing(
            [e.title for e in latest],
            reverse("events:list"),
            "Older events",
            r"Past-\d{3}",
            "/api/v1/events?past=true",
            lambda item: item["title"],
        ),
    ]


@pytest.fixture
def lounge(db) -> Category:
    return Category.objects.create(slug="lounge", name="Lounge")


@pytest.mark.django_db
def test_events_page_through_both_lists(client, staff, django_assert_max_num_queries):
    for listing in _events(staff):
        for htmx in (False, True):
            shown = _walk_site(
                client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries
            )
            assert shown == listing.expected
        assert _walk_api(client, listing, assert_queries=django_assert_max_num_queries) == (
            listing.expected
        )


@pytest.mark.django_db
def test_bookmarks_page_through_every_bookmark(
    client, alice, bob, lounge, django_assert_max_num_queries
):
    for i in range(35):
        topic = forum_services.create_topic(
            author=bob,
            category=lounge,
            title=f"Bookmarked topic {i:03d}",
            raw=f"Some words here, number {i}.",
        )
        Bookmark.objects.create(user=alice, post=topic.posts.get())
    # Ties on the moment: the id decides.
    Bookmark.objects.filter(id__in=Bookmark.objects.order_by("id").values("id")[:10]).update(
        created_at=timezone.now()
    )
    expected = [
        b.post.topic.title
        for b in Bookmark.objects.select_related("post__topic").order_by("-created_at", "-id")
    ]
    listing = Listing(
        expected,
        reverse("forum:bookmarks"),
        "Older bookmarks",
        r"Bookmarked topic \d{3}",
        "/api/v1/bookmarks",
        lambda item: item["topic_title"],
    )
    client.force_login(alice)
    for htmx in (False, True):
        assert (
            _walk_site(client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries)
            == expected
        )
    assert _walk_api(client, listing, assert_queries=django_assert_max_num_queries) == expected
    client.force_login(bob)  # someone else's bookmarks are not theirs to page through
    assert client.get("/api/v1/bookmarks").json()["items"] == []


@pytest.mark.django_db
def test_staff_log_pages_through_every_action(client, staff, django_assert_max_num_queries):
    StaffAction.objects.bulk_create(
        StaffAction(actor=staff, action=f"act-{i:03d}", details={}) for i in range(120)
    )
    StaffAction.objects.filter(id__in=StaffAction.objects.order_by("id").values("id")[:60]).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    expected = list(
        StaffAction.objects.order_by("-created_at", "-id").values_list("action", flat=True)
    )
    listing = Listing(
        expected,
        reverse("moderation:log"),
        "Older actions",
        r"act-\d{3}",
        "/api/v1/staff-log",
        lambda item: item["action"],
    )
    client.force_login(staff)
    for htmx in (False, True):
        assert (
            _walk_site(client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries)
            == expected
        )
    assert _walk_api(client, listing, assert_queries=django_assert_max_num_queries) == expected


@pytest.mark.django_db
def test_review_queue_pages_through_every_flagged_post(
    client, staff, alice, bob, charlie, lounge, django_assert_max_num_queries
):
    flaggers = [bob, charlie]
    for i in range(55):
        post = forum_services.create_topic(
            author=alice,
            category=lounge,
            title=f"Flagged topic {i:03d}",
            raw=f"Some words here, number {i}.",
        ).posts.get()
        for flagger in flaggers[: 1 + i % 2]:  # one or two flags: ties on the count
            Flag.objects.create(post=post, user=flagger, reason="spam")
    listing = Listing(
        [],
        reverse("moderation:review"),
        "More posts to review",
        r"Flagged topic \d{3}",
        "/api/v1/review-queue",
        lambda item: item["post"]["id"],
    )
    two = [f"Flagged topic {i:03d}" for i in range(55) if i % 2]
    one = [f"Flagged topic {i:03d}" for i in range(55) if not i % 2]
    listing.expected = two[::-1] + one[::-1]  # most flagged first, then the newest post first
    client.force_login(staff)
    for htmx in (False, True):
        assert (
            _walk_site(client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries)
            == listing.expected
        )
    topics = _walk_api(client, listing, assert_queries=django_assert_max_num_queries)
    assert len(topics) == len(set(topics)) == 55


@pytest.mark.django_db
def test_library_pages_keep_the_kind_filter(client, alice, django_assert_max_num_queries):
    Resource.objects.bulk_create(
        Resource(
            kind="project" if i % 2 else "paper",
            title=f"Res-{i:03d}",
            url="https://example.com/",
            added_by=alice,
            use_count=i % 3,  # many ties on the count
        )
        for i in range(140)
    )
    expected = list(
        Resource.objects.filter(kind="project")
        .order_by("-use_count", "-id")
        .values_list("title", flat=True)
    )
    listing = Listing(
        expected,
        reverse("learn:resources") + "?kind=project",
        "More resources",
        r"Res-\d{3}",
        "/api/v1/resources?kind=project",
        lambda item: item["title"],
    )
    for htmx in (False, True):
        assert (
            _walk_site(client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries)
            == expected
        )
    assert _walk_api(client, listing, assert_queries=django_assert_max_num_queries) == expected
    everything = Listing(
        list(Resource.objects.order_by("-use_count", "-id").values_list("title", flat=True)),
        reverse("learn:resources"),
        "More resources",
        r"Res-\d{3}",
        "/api/v1/resources",
        lambda item: item["title"],
    )
    assert (
        _walk_api(client, everything, assert_queries=django_assert_max_num_queries)
        == everything.expected
    )


@pytest.mark.django_db
def test_launch_board_and_partner_board_page(client, alice, django_assert_max_num_queries):
    Launch.objects.bulk_create(
        Launch(
            name=f"Ln-{i:03d}",
            tagline="t",
            description="d",
            description_html="d",
            audience="a",
            website="https://example.com/",
            owner=alice,
            vote_count=i % 4,
        )
        for i in range(70)
    )
    later = timezone.now() + timedelta(days=30)
    PartnerRequest.objects.bulk_create(
        PartnerRequest(
            title=f"Pr-{i:03d}",
            role="artist" if i % 2 else "engineer",
            description="d",
            description_html="d",
            author=alice,
            expires_at=later,
        )
        for i in range(140)
    )
    role = "artist"
    assert role in PartnerRequest.Role.values
    launches = Listing(
        list(Launch.objects.order_by("-vote_count", "-id").values_list("name", flat=True)),
        reverse("showcase:launches") + "?period=week",
        "More launches",
        r"Ln-\d{3}",
        "/api/v1/launches?period=week",
        lambda item: item["name"],
    )
    partners = Listing(
        list(
            PartnerRequest.objects.filter(role=role)
            .order_by("-created_at", "-id")
            .values_list("title", flat=True)
        ),
        reverse("showcase:partners") + f"?role={role}",
        "More requests",
        r"Pr-\d{3}",
        "/api/v1/partner-requests",
        lambda item: item["title"],
    )
    for listing in (launches, partners):
        for htmx in (False, True):
            assert (
                _walk_site(client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries)
                == listing.expected
            )
    assert (
        _walk_api(client, launches, assert_queries=django_assert_max_num_queries)
        == launches.expected
    )
    every_request = list(
        PartnerRequest.objects.order_by("-created_at", "-id").values_list("title", flat=True)
    )
    assert (
        _walk_api(client, partners, assert_queries=django_assert_max_num_queries) == every_request
    )


@pytest.mark.django_db
def test_drafts_and_deliveries_page_in_the_api(client, alice, staff, django_assert_max_num_queries):
    Draft.objects.bulk_create(
        Draft(user=alice, key=f"reply-{i}", title="", raw=f"draft {i}") for i in range(70)
    )
    Draft.objects.filter(id__in=Draft.objects.order_by("id").values("id")[:20]).update(
        updated_at=timezone.now() - timedelta(hours=1)
    )
    drafts = Listing(
        list(Draft.objects.order_by("-updated_at", "-id").values_list("key", flat=True)),
        None,
        "",
        "",
        "/api/v1/drafts",
        lambda item: item["key"],
    )
    client.force_login(alice)
    assert _walk_api(client, drafts, assert_queries=django_assert_max_num_queries) == (
        drafts.expected
    )
    endpoint = WebhookEndpoint.objects.create(
        url="https://example.com/hook", secret="s" * 32, created_by=staff
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event=f"ev-{i:03d}", payload={"n": i})
        for i in range(120)
    )
    deliveries = Listing(
        list(
            WebhookDelivery.objects.order_by("-created_at", "-id").values_list("event", flat=True)
        ),
        reverse("api_webhook", args=[endpoint.id]),
        "Older deliveries",
        r"ev-\d{3}",
        f"/api/v1/webhooks/{endpoint.id}/deliveries",
        lambda item: item["event"],
    )
    client.force_login(staff)
    for htmx in (False, True):
        assert (
            _walk_site(client, deliveries, htmx=htmx, assert_queries=django_assert_max_num_queries)
            == deliveries.expected
        )
    assert _walk_api(client, deliveries, assert_queries=django_assert_max_num_queries) == (
        deliveries.expected
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "login"),
    [
        ("/api/v1/events", None),
        ("/api/v1/events?past=true", None),
        ("/api/v1/bookmarks", "alice"),
        ("/api/v1/drafts", "alice"),
        ("/api/v1/staff-log", "staff"),
        ("/api/v1/review-queue", "staff"),
        ("/api/v1/resources", None),
        ("/api/v1/launches", None),
        ("/api/v1/partner-requests", None),
        ("/api/v1/articles", None),
        ("/api/v1/notifications", "alice"),
        (reverse("events:list"), None),
        (reverse("forum:bookmarks"), "alice"),
        (reverse("moderation:log"), "staff"),
        (reverse("moderation:review"), "staff"),
        (reverse("learn:resources"), None),
        (reverse("learn:index"), None),
        (reverse("showcase:launches"), None),
        (reverse("showcase:partners"), None),
        ("webhook", "staff"),
        ("deliveries", "staff"),
    ],
)
def test_a_cursor_that_cannot_be_read_gives_the_first_page(client, request, url, login):
    if login:
        user = request.getfixturevalue(login)
        client.force_login(user)
    if url in ("webhook", "deliveries"):
        endpoint = WebhookEndpoint.objects.create(
            url="https://example.com/hook", secret="s" * 32, created_by=user
        )
        url = (
            reverse("api_webhook", args=[endpoint.id])
            if url == "webhook"
            else f"/api/v1/webhooks/{endpoint.id}/deliveries"
        )
    first = client.get(url)
    assert first.status_code == 200
    joiner = "&" if "?" in url else "?"
    for garbage in GARBAGE:
        for name in ("cursor", "past_cursor", "models_cursor"):
            again = client.get(f"{url}{joiner}{name}={garbage}")
            assert again.status_code == 200
            if url.startswith("/api/v1/"):
                assert again.json() == first.json()


def test_cursors_round_trip_and_refuse_nonsense():
    moment = timezone.now()
    key, pk = decode_cursor(encode_cursor(moment, 7))
    assert abs((key - moment).total_seconds()) < 1e-5 and pk == 7
    assert decode_cursor(encode_cursor(42, 9), number=True) == (42, 9)
    for garbage in [None, "", *GARBAGE]:
        assert decode_cursor(garbage) is None
        assert decode_cursor(garbage, number=True) is None


@pytest.mark.django_db
def test_keyset_page_walks_ascending_and_descending(staff):
    StaffAction.objects.bulk_create(
        StaffAction(actor=staff, action=str(i), details={}) for i in range(7)
    )
    for descending in (True, False):
        expected = list(
            StaffAction.objects.order_by(
                *(["-created_at", "-id"] if descending else ["created_at", "id"])
            )
        )
        cursor, shown = None, []
        while True:
            rows, cursor = keyset_page(
                StaffAction.objects.all(),
                key="created_at",
                cursor=cursor,
                limit=3,
                descending=descending,
            )
            shown += rows
            if cursor is None:
                break
        assert shown == expected


@pytest.mark.django_db
def test_lab_page_lists_page_each_by_its_own_cursor(
    client, alice, bob, django_assert_max_num_queries
):
    def run(owner, title):
        return TrainingRun(owner=owner, title=title, family="diffusion", dataset="moons", steps=20)

    TrainingRun.objects.bulk_create(
        [run(alice, f"Alice-run-{i:03d}") for i in range(35)]
        + [run(bob, f"Bob-run-{i:03d}") for i in range(70)]
    )
    TrainingRun.objects.filter(title__lt="Alice-run-010").update(
        created_at=timezone.now() - timedelta(days=1)
    )
    LabModel.objects.bulk_create(
        LabModel(
            run=r,
            owner=bob,
            name=f"Mdl-{i:03d}",
            checkpoint="lab/models/m.safetensors",
            checkpoint_sha256="0" * 64,
            star_count=i % 3,
        )
        for i, r in enumerate(TrainingRun.objects.filter(owner=bob).order_by("id")[:35])
    )
    newest = ("-created_at", "-id")
    lists = [
        Listing(
            list(
                TrainingRun.objects.filter(owner=alice)
                .order_by(*newest)
                .values_list("title", flat=True)
            ),
            reverse("lab:index"),
            "Older runs",
            r"Alice-run-\d{3}",
            "",
            str,
        ),
        Listing(
            list(LabModel.objects.order_by("-star_count", "-id").values_list("name", flat=True)),
            reverse("lab:index"),
            "More models",
            r"Mdl-\d{3}",
            "",
            str,
        ),
        Listing(
            list(
                TrainingRun.objects.filter(owner=bob)
                .order_by(*newest)
                .values_list("title", flat=True)
            ),
            reverse("lab:index"),
            "Older runs by others",
            r"Bob-run-\d{3}",
            "",
            str,
        ),
    ]
    client.force_login(alice)
    for listing in lists:
        for htmx in (False, True):
            assert (
                _walk_site(client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries)
                == listing.expected
            )
    for name in ("runs_cursor", "models_cursor", "public_cursor"):
        for garbage in GARBAGE:
            assert client.get(f"{reverse('lab:index')}?{name}={garbage}").status_code == 200


@pytest.mark.django_db
def test_learn_page_and_articles_api_page_through_every_article(
    client, django_assert_max_num_queries
):
    areas = Article.Area.values
    levels = Article.Difficulty.values
    Article.objects.bulk_create(
        Article(
            title=f"Art-{i:03d}",
            slug=f"art-{i:03d}",
            body="b",
            body_html="b",
            difficulty=levels[i % 2],
            language="en",
            area=areas[i % len(areas)],
        )
        for i in range(150)
    )
    Article.objects.filter(slug__lt="art-020").update(created_at=timezone.now())  # ties
    level = levels[0]
    newest = list(Article.objects.filter(difficulty=level).order_by("-created_at", "-id"))
    expected = []  # each page's articles, by area in the page's order of areas
    for start in range(0, len(newest), 60):
        page = newest[start : start + 60]
        expected += [a.title for area in areas for a in page if a.area == area]
    listing = Listing(
        expected,
        reverse("learn:index") + f"?difficulty={level}",
        "Older articles",
        r"Art-\d{3}",
        f"/api/v1/articles?difficulty={level}",
        lambda item: item["title"],
    )
    for htmx in (False, True):
        assert (
            _walk_site(client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries)
            == expected
        )
    listing.expected = [a.title for a in newest]
    assert _walk_api(client, listing, assert_queries=django_assert_max_num_queries) == (
        listing.expected
    )


@pytest.mark.django_db
def test_a_collection_pages_through_every_work(client, alice, django_assert_max_num_queries):
    Work.objects.bulk_create(
        Work(
            author=alice,
            title=f"Wk-{i:03d}",
            width=8,
            height=8,
            prompt="a cat",
            seed=i,
            steps=20,
            model_name="Moons",
            image="gallery/w.webp",
            thumbnail="gallery/t.webp",
        )
        for i in range(60)
    )
    Work.objects.filter(title__lt="Wk-010").update(created_at=timezone.now())  # ties
    collection = Collection.objects.create(owner=alice, title="Cats")
    collection.works.set(Work.objects.all())
    listing = Listing(
        list(Work.objects.order_by("-created_at", "-id").values_list("title", flat=True)),
        reverse("gallery:collection", args=[collection.id]),
        "More works",
        r"Wk-\d{3}",
        f"/api/v1/collections/{collection.id}",
        lambda item: item["title"],
    )
    for htmx in (False, True):
        assert (
            _walk_site(client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries)
            == listing.expected
        )
    cursor, shown = None, []
    while True:
        url = listing.api_url + (f"?{urlencode({'cursor': cursor})}" if cursor else "")
        with django_assert_max_num_queries(QUERIES_PER_PAGE):
            body = client.get(url).json()
        shown += [work["title"] for work in body["works"]]
        cursor = body["works_next_cursor"]
        if cursor is None:
            break
    assert shown == listing.expected


@pytest.mark.django_db
def test_a_model_page_pages_through_its_generations(client, bob, django_assert_max_num_queries):
    run = TrainingRun.objects.create(
        owner=bob, title="Moons", family="diffusion", dataset="moons", steps=20
    )
    model = LabModel.objects.create(
        run=run, owner=bob, name="Moons DDPM", checkpoint="lab/models/m.safetensors"
    )
    Generation.objects.bulk_create(
        Generation(
            model=model,
            owner=bob,
            recipe={"sampler": "ddim", "steps": 10, "seed": 1000 + i},
            recipe_hash=f"{i:064d}",
        )
        for i in range(30)
    )
    Generation.objects.filter(recipe_hash__lt=f"{8:064d}").update(created_at=timezone.now())
    listing = Listing(
        [f"seed {g.recipe['seed']}" for g in Generation.objects.order_by("-created_at", "-id")],
        reverse("lab:model", args=[model.id]),
        "Older generations",
        r"seed \d{4}",
        "",
        str,
    )
    for htmx in (False, True):
        assert (
            _walk_site(client, listing, htmx=htmx, assert_queries=django_assert_max_num_queries)
            == listing.expected
        )


def _plan(call, table: str) -> str:
    """SQLite's plan for the page query that `call` runs on `table`."""
    with CaptureQueriesContext(connection) as captured:
        call()
    sql = next(
        q["sql"]
        for q in captured.captured_queries
        if f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
@pytest.mark.django_db
def test_deep_pages_seek_their_index(alice):
    """With a cursor, each list reads its keyset index from the cursor on (`SEARCH ... USING
    INDEX ... (key<?)`): no sort of the whole table, no scan of the rows before the page."""
    from agora.events import selectors as events
    from agora.forum import selectors as forum
    from agora.forum.permissions import category_access_for
    from agora.lab.selectors import visible_models
    from agora.learn import selectors as learn
    from agora.moderation import selectors as moderation
    from agora.showcase import selectors as showcase

    moment = encode_cursor(timezone.now(), 10**6)
    count = encode_cursor(5, 10**6)

    def page(queryset, key, cursor):
        return lambda: keyset_page(
            queryset, key=key, cursor=cursor, limit=30, number=cursor == count
        )

    access = category_access_for(alice)
    cases = [
        (lambda: events.upcoming_events(cursor=moment), "events_event", "event_starts"),
        (lambda: events.past_events(cursor=moment), "events_event", "event_starts"),
        (
            lambda: forum.member_bookmarks(viewer=alice, access=access, cursor=moment),
            "forum_bookmark",
            "bookmark_user_created",
        ),
        (lambda: forum.member_drafts(viewer=alice, cursor=moment), "forum_draft", "draft_user"),
        (lambda: moderation.staff_log(cursor=moment), "moderation_staffaction", "staffaction"),
        (page(learn.resources(), "use_count", count), "learn_resource", "resource_used"),
        (
            page(learn.resources(kind="paper"), "use_count", count),
            "learn_resource",
            "resource_kind_used",
        ),
        (page(learn.articles(), "created_at", moment), "learn_article", "article_created"),
        (
            lambda: showcase.launch_board(period="week", cursor=count),
            "showcase_launch",
            "launch_board",
        ),
        (
            lambda: showcase.open_requests_page(cursor=moment),
            "showcase_partnerrequest",
            "partner_created",
        ),
        (
            page(WebhookDelivery.objects.filter(endpoint_id=1), "created_at", moment),
            "api_webhookdelivery",
            "delivery_endpoint_created",
        ),
        (
            page(TrainingRun.objects.filter(owner=alice), "created_at", moment),
            "lab_trainingrun",
            "run_owner_created",
        ),
        (
            page(
                TrainingRun.objects.filter(private=False).exclude(owner=alice), "created_at", moment
            ),
            "lab_trainingrun",
            "run_created",
        ),
        (page(visible_models(alice), "star_count", count), "lab_labmodel", "labmodel_starred"),
        (
            page(Generation.objects.filter(model_id=1, reproduces=None), "created_at", moment),
            "lab_generation",
            "generation_model_created",
        ),
    ]
    for call, table, index in cases:
        plan = _plan(call, table)
        assert "TEMP B-TREE" not in plan, (table, plan)
        assert re.search(
            rf"SEARCH {table} USING (COVERING )?INDEX {index}\w* \(.*[<>]\?\)", plan
        ), (
            table,
            plan,
        )
