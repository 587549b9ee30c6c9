"""The canary: a unique secret word is written into every kind of text some persona may not read
(a deleted post, a post hidden by flags, a hidden first post, a topic in a private category, a
private message, a deleted topic, a draft, a private gallery work, a private training run, a
hidden recipe), then every URL pattern and every GET operation of the API is fetched as each
persona, with each canary's post and topic put into the routes that take one, plus search with
the secret as the query, the feeds, the sitemap and the emails in the outbox. A secret found in
what a persona received, where `agora.forum.permissions` (or the owning app's rule) says they
may not read it, is a leak. The walk reads the URL configuration and the OpenAPI schema, so a new
route is fetched without touching this file. docs/reliability.md says how to extend it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from agora.core.tests import world
from agora.search.registry import kinds_in_order

PERSONAS = ("anonymous", "alice", "bob", "charlie", "staff")
EVERYONE = frozenset(PERSONAS)


@dataclass
class Canary:
    """A secret word and who may read it. `post`/`topic`: what routes taking one are asked
    about; `mailed`: those who may get it by email (the post was visible when it was written)."""

    secret: str
    readers: frozenset[str]
    post: object = None
    topic: object = None
    mailed: frozenset[str] = field(default_factory=frozenset)


def _plant(*, alice, bob, charlie, staff, site) -> dict[str, Canary]:
    """Write each secret where it belongs, through the services (on-commit work runs)."""
    from agora.forum.models import Category, Topic
    from agora.forum.services import (
        create_post,
        create_private_topic,
        create_topic,
        delete_post,
        edit_post,
        save_draft,
        toggle_bookmark,
    )
    from agora.gallery.models import Work
    from agora.gallery.services import upload_work
    from agora.lab.models import TrainingRun
    from agora.moderation.services import flag_post

    topic = Topic.objects.get(pk=site["forum:topic"]["topic_id"])
    lounge = Category.objects.get(slug="lounge")
    secret_category = Category.objects.get(slug="secret")
    canaries: dict[str, Canary] = {}

    # An author-deleted reply, edited first (so it has an edit history) and bookmarked by charlie.
    deleted = create_post(
        author=alice, topic=topic, raw="@charlie a first thought, soon withdrawn, sorry."
    )
    deleted = edit_post(
        editor=alice, post=deleted, raw="@charlie canarydeletedreply is what I meant to say."
    )
    toggle_bookmark(user=charlie, post=deleted)
    delete_post(actor=alice, post=deleted)
    canaries["author-deleted reply"] = Canary(
        "canarydeletedreply", frozenset({"staff"}), post=deleted, topic=topic, mailed=EVERYONE
    )

    # A reply hidden by flags (staff's flag hides at once), edited before.
    hidden = create_post(author=alice, topic=topic, raw="Buy my prompts, a plain offer here.")
    hidden = edit_post(editor=alice, post=hidden, raw="Buy canaryhiddenreply prompts today.")
    toggle_bookmark(user=charlie, post=hidden)
    flag_post(user=staff, post=hidden, reason="spam")
    canaries["flag-hidden reply"] = Canary(
        "canaryhiddenreply",
        frozenset({"alice", "staff"}),
        post=hidden,
        topic=topic,
        mailed=EVERYONE,
    )

    # A topic whose first post is hidden by flags: the topic stays listed, its text does not.
    hidden_first = create_topic(
        author=alice,
        category=lounge,
        title="Cheap prompts for sale here",
        raw="An ordinary first version of the post.",
        tags=["samplers"],
    )
    first = hidden_first.posts.get(number=1)
    first = edit_post(editor=alice, post=first, raw="Spam canaryhiddenfirst spam spam spam.")
    flag_post(user=staff, post=first, reason="spam")
    canaries["flag-hidden first post"] = Canary(
        "canaryhiddenfirst",
        frozenset({"alice", "staff"}),
        post=first,
        topic=hidden_first,
        mailed=EVERYONE,
    )

    # A topic in a category only insiders (bob) see; charlie is mentioned and must not hear.
    insiders = create_topic(
        author=bob,
        category=secret_category,
        title="Insiders canarycategorytitle",
        raw="@charlie @alice canaryprivatecategory is the plan.",
    )
    canaries["private category topic"] = Canary(
        "canaryprivatecategory",
        frozenset({"bob", "staff"}),
        post=insiders.posts.get(number=1),
        topic=insiders,
        mailed=frozenset({"bob", "staff"}),
    )
    canaries["private category title"] = Canary(
        "canarycategorytitle", frozenset({"bob", "staff"}), mailed=frozenset({"bob", "staff"})
    )

    # A private message between alice and bob, with a reply mentioning charlie.
    pm = create_private_topic(
        author=alice,
        recipients=[bob],
        title="Between us canarypmtitle",
        raw="canaryprivatemessage stays between the two of us.",
    )
    create_post(author=bob, topic=pm, raw="@charlie canaryprivatemessage again, agreed.")
    readers = frozenset({"alice", "bob", "staff"})
    canaries["private message"] = Canary(
        "canaryprivatemessage", readers, post=pm.posts.get(number=1), topic=pm, mailed=readers
    )
    canaries["private message title"] = Canary("canarypmtitle", readers, mailed=readers)

    # A topic deleted by its author after bob replied and charlie bookmarked the reply.
    doomed = create_topic(
        author=alice,
        category=lounge,
        title="Soon gone canarydeletedtitle",
        raw="canarydeletedtopic will be withdrawn.",
        tags=["samplers"],
    )
    doomed_reply = create_post(
        author=bob, topic=doomed, raw="@charlie canarydeletedtopic indeed, a reply."
    )
    toggle_bookmark(user=charlie, post=doomed_reply)
    delete_post(actor=alice, post=doomed.posts.get(number=1))
    canaries["deleted topic"] = Canary(
        "canarydeletedtopic",
        frozenset({"staff"}),
        post=doomed_reply,
        topic=doomed,
        mailed=EVERYONE,
    )
    canaries["deleted topic title"] = Canary(
        "canarydeletedtitle", frozenset({"staff"}), mailed=EVERYONE
    )

    # Drafts are their writer's alone.
    save_draft(user=alice, key="new-topic", title="Draft", raw="canarydraftnew unfinished")
    save_draft(user=alice, key=f"reply-{topic.id}", raw="canarydraftreply unfinished")
    canaries["new topic draft"] = Canary("canarydraftnew", frozenset({"alice"}))
    canaries["reply draft"] = Canary("canarydraftreply", frozenset({"alice"}))

    # Other apps follow their own rules: a private work, a private run, a hidden recipe.
    private_work, _notes = upload_work(
        author=alice,
        upload=_upload(),
        title="Private canaryworktitle",
        description="canaryworkdescription in private",
        private=True,
    )
    canaries["private work"] = Canary("canaryworkdescription", frozenset({"alice", "staff"}))
    canaries["private work title"] = Canary("canaryworktitle", frozenset({"alice", "staff"}))
    private_run = TrainingRun.objects.create(
        owner=alice,
        title="Run canaryruntitle",
        family="gan",
        dataset="mnist",
        steps=10,
        private=True,
        status=TrainingRun.Status.COMPLETED,
    )
    canaries["private run"] = Canary("canaryruntitle", frozenset({"alice", "staff"}))
    # The private work entered in the world's contest, the private run scored in its challenge.
    from agora.challenges.models import Entry, Submission

    Entry.objects.create(
        contest_id=site["challenges:contest"]["contest_id"], work=private_work, entrant=alice
    )
    Submission.objects.create(
        challenge_id=site["challenges:challenge"]["challenge_id"],
        submitter=alice,
        run=private_run,
        status=Submission.Status.SCORED,
        verified=True,
        score=0.01,
        cpu_seconds=30,
    )
    recipe, _notes = upload_work(
        author=alice, upload=_upload(), title="Hidden recipe sunset", recipe_hidden=True
    )
    Work.objects.filter(pk=recipe.pk).update(model_name="canaryrecipemodel", prompt="a sunset")
    canaries["hidden recipe model"] = Canary("canaryrecipemodel", frozenset({"alice", "staff"}))
    # Texts alice's private model wrote (indexed for search), and her text data set.
    from agora.core import jobs
    from agora.lab.models import Generation, LabDataset, LabModel
    from agora.lab.search import TEXT
    from agora.search.tasks import index_objects

    text = Generation.objects.create(
        model=LabModel.objects.get(pk=site["lab:model"]["model_id"]),
        owner=alice,
        recipe={"kind": "text", "prompt": "canarytextprompt", "acrostic": ""},
        recipe_hash="c" * 64,
        status=Generation.Status.DONE,
        texts=["canarygeneratedtext in a poem"],
    )
    jobs.enqueue(index_objects, TEXT, [text.id])
    canaries["private model's text"] = Canary("canarygeneratedtext", frozenset({"alice", "staff"}))
    canaries["private model's prompt"] = Canary("canarytextprompt", frozenset({"alice", "staff"}))
    LabDataset.objects.create(
        owner=alice,
        name="canarydatasetname",
        kind=LabDataset.Kind.TEXT,
        status=LabDataset.Status.READY,
        count=1,
        text_preview="canarydatasettext line",
    )
    canaries["text data set"] = Canary("canarydatasettext", frozenset({"alice", "staff"}))
    canaries["text data set name"] = Canary("canarydatasetname", frozenset({"alice", "staff"}))
    return canaries


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("c.png", world._png())


@pytest.fixture
def canary_site(
    db, alice, bob, charlie, staff, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.API_ANONYMOUS_RATE_LIMIT = (100_000, 60)
    with django_capture_on_commit_callbacks(execute=True):
        site = world.build(alice=alice, bob=bob, charlie=charlie, staff=staff)
    with django_capture_on_commit_callbacks(execute=True):
        canaries = _plant(alice=alice, bob=bob, charlie=charlie, staff=staff, site=site)
    return site, canaries


def _clients(alice, bob, charlie, staff) -> dict[str, Client]:
    clients = {}
    for persona, user in zip(PERSONAS, (None, alice, bob, charlie, staff), strict=True):
        clients[persona] = Client()
        if user is not None:
            clients[persona].force_login(user)
    return clients


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


class Leaks:
    def __init__(self, canaries: dict[str, Canary]) -> None:
        self.canaries = canaries
        self.found: set[str] = set()
        self.fetched = 0

    def check(self, persona: str, where: str, text: str, path: str = "") -> None:
        """`path`: the address asked for; a page repeating it (a 404 page's "log in and come
        back" link) tells nothing the asker did not send, so it is taken out first."""
        self.fetched += 1
        lowered = text.lower()
        if path:
            for form in {path, quote(path, safe=""), quote(path, safe="/")}:
                for written in {form, escape(form)}:
                    lowered = lowered.replace(written.lower(), "")
        for label, canary in self.canaries.items():
            if persona not in canary.readers and canary.secret in lowered:
                self.found.add(f"{label} ({canary.secret}) reaches {persona} through {where}")

    def sees(self, text: str, canary: Canary) -> bool:
        return canary.secret in text.lower()


def _route_kwargs(route: str, name: str, site: dict, canaries: dict[str, Canary]) -> list[dict]:
    """The world's kwargs for the route, and one set per canary post or topic for routes that
    take a post or a topic."""
    base = site.get(name, {})
    variants = [base]
    names = set(re.findall(r"<(?:\w+:)?(\w+)>", route))
    for canary in canaries.values():
        if "post_id" in names and canary.post is not None:
            variants.append({**base, "post_id": canary.post.id})
        if "topic_id" in names and canary.topic is not None:
            kwargs = {**base, "topic_id": canary.topic.id}
            if "slug" in names:
                kwargs["slug"] = canary.topic.slug
            if "number" in names:
                kwargs["number"] = canary.post.number if canary.post else 1
            variants.append(kwargs)
    if "generation_id" in names:  # every generation: the canary's texts have their own
        variants += [
            {**base, "generation_id": generation_id}
            for generation_id in _generation_ids()
            if generation_id != base.get("generation_id")
        ]
    return variants


# Routes that look words up: asked for each secret. The query is the secret's first letters (a
# prefix finds the whole word), so a page that repeats the query back does not count as a leak.
SEARCHING = ("search:search", "search:quick", "member_suggestions", "forum:tag_suggestions")


def _probe(canary: Canary) -> str:
    return canary.secret[:-4]


def _asks(name: str, kwargs: dict, canaries: dict[str, Canary]) -> list[tuple[dict, bool]]:
    """(query parameters, as htmx) for one URL: plain; lists also as an htmx fragment;
    searches with every secret."""
    if kwargs:
        return [({}, False)]
    asks = [({}, False), ({}, True)]
    if name in SEARCHING:
        for canary in canaries.values():
            asks += [({"q": _probe(canary)}, False), ({"q": _probe(canary)}, True)]
            if name == "search:search":
                kinds = [kind.choice for kind in kinds_in_order()] + ["members", "tags"]
                asks += [({"q": _probe(canary), "kind": kind}, False) for kind in kinds]
    return asks


def test_no_secret_reaches_a_persona_who_may_not_read_it(
    canary_site, alice, bob, charlie, staff, mailoutbox
):
    site, canaries = canary_site
    clients = _clients(alice, bob, charlie, staff)
    leaks = Leaks(canaries)
    for name, route in world.url_patterns():
        for kwargs in _route_kwargs(route, name, site, canaries):
            try:
                url = reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue
            for params, htmx in _asks(name, kwargs, canaries):
                target = url + ("?" + urlencode(params) if params else "")
                headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
                for persona, client in clients.items():
                    response = client.get(target, **headers)
                    where = f"GET {target}{' (htmx)' * htmx}"
                    leaks.check(persona, where, _body(response), path=url)
    for label, path in site["_media"].items():
        del label
        for persona, client in clients.items():
            leaks.check(persona, f"GET /media/{path}", _body(client.get("/media/" + path)))
    _walk_api(site, canaries, leaks, alice=alice, bob=bob, charlie=charlie, staff=staff)

    # Emails: nobody got a secret they could not read when it was written.
    emails = _emails(mailoutbox)
    addresses = {
        user.email: persona
        for persona, user in zip(PERSONAS[1:], (alice, bob, charlie, staff), strict=True)
    }
    for recipient, text in emails:
        persona = addresses.get(recipient)
        for label, canary in canaries.items():
            if persona not in canary.mailed and canary.secret in text.lower():
                leaks.found.add(f"{label} ({canary.secret}) mailed to {persona}")

    assert leaks.fetched > 3000  # the walk really walked (3,630 requests when written)
    assert not leaks.found, "\n".join(["leaks:", *sorted(leaks.found)])

    # And the rule is not simply "show nothing": each reader finds their secret.
    _readers_see_their_secrets(clients, canaries, site)


def _emails(mailoutbox) -> list[tuple[str, str]]:
    from agora.core.models import OutboundEmail

    found = [
        (address, f"{email.subject}\n{email.body_text}\n{email.body_html}")
        for email in OutboundEmail.objects.all()
        for address in email.to
    ]
    for message in mailoutbox:
        bodies = [message.subject, str(message.body)]
        bodies += [str(content) for content, _kind in getattr(message, "alternatives", [])]
        found += [(address, "\n".join(bodies)) for address in message.to]
    return found


def _walk_api(site, canaries, leaks: Leaks, *, alice, bob, charlie, staff) -> None:
    """Every GET operation of the API, path parameters from the world and the canaries."""
    from agora.api import tokens
    from agora.api.api import api
    from agora.forum.models import Post

    users = dict(zip(PERSONAS[1:], (alice, bob, charlie, staff), strict=True))
    headers = {"anonymous": {}}
    for persona, user in users.items():
        raw = tokens.create_token(user=user, name="canary", scopes=["read"])[1]
        headers[persona] = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    first_post = Post.objects.get(topic_id=site["forum:topic"]["topic_id"], number=1)
    values: dict[str, list] = {
        "topic_id": [site["forum:topic"]["topic_id"]]
        + [c.topic.id for c in canaries.values() if c.topic is not None],
        "post_id": [first_post.id] + [c.post.id for c in canaries.values() if c.post is not None],
        "slug": ["lounge", "secret", site["learn:article"]["slug"]],
        "username": ["alice", "bob"],
        "event_id": [site["events:detail"]["event_id"]],
        "launch_id": [site["showcase:launch"]["launch_id"]],
        "request_id": [site["showcase:partner"]["request_id"]],
        "work_id": [site["gallery:work"]["work_id"], *_work_ids()],
        "collection_id": [site["gallery:collection"]["collection_id"]],
        "run_id": [site["lab:run"]["run_id"], *_run_ids()],
        "model_id": [site["lab:model"]["model_id"]],
        "generation_id": [site["lab:generation"]["generation_id"], *_generation_ids()],
        "resource_id": [site["learn:resource"]["resource_id"]],
        "challenge_id": [site["challenges:challenge"]["challenge_id"]],
        "contest_id": [site["challenges:contest"]["contest_id"]],
        "entry_id": [site["challenges:vote"]["entry_id"]],
        "key": ["new-topic", f"reply-{site['forum:topic']['topic_id']}"],
        "endpoint_id": [1],
    }
    schema = api.get_openapi_schema(path_prefix="")
    client = Client()
    for path, item in schema["paths"].items():
        if "get" not in item:
            continue
        names = re.findall(r"{(\w+)}", path)
        missing = [n for n in names if n not in values]
        assert not missing, f"the canary does not know what to put in {path}: {missing}"
        paths = [path]
        for name in names:
            paths = [p.replace("{" + name + "}", str(v)) for p in paths for v in values[name]]
        query_names = {p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"}
        asks = [{}]
        for query in ("q", "prefix"):
            if query in query_names:
                asks += [{query: _probe(c)} for c in canaries.values()]
        for concrete in paths:
            for persona, header in headers.items():
                for params in asks:
                    url = "/api/v1" + concrete + ("?" + urlencode(params) if params else "")
                    leaks.check(persona, f"API GET {url}", _body(client.get(url, **header)))


def _work_ids() -> list[int]:
    from agora.gallery.models import Work

    return list(Work.objects.values_list("id", flat=True))


def _generation_ids() -> list[int]:
    from agora.lab.models import Generation

    return list(Generation.objects.values_list("id", flat=True))


def _run_ids() -> list[int]:
    from agora.lab.models import TrainingRun

    return list(TrainingRun.objects.values_list("id", flat=True))


def _readers_see_their_secrets(clients, canaries, site) -> None:
    """Spot checks that the rule lets readers read: the walk above cannot tell a leak-free site
    from one that shows nothing."""
    topic = canaries["private category topic"].topic
    page = clients["bob"].get(topic.get_absolute_url()).content.decode()
    assert "canaryprivatecategory" in page
    pm = canaries["private message"].topic
    assert "canaryprivatemessage" in clients["alice"].get(pm.get_absolute_url()).content.decode()
    hidden = canaries["flag-hidden reply"]
    for persona in ("alice", "staff"):
        page = clients[persona].get(hidden.topic.get_absolute_url()).content.decode()
        assert "canaryhiddenreply" in page, persona
    first = canaries["flag-hidden first post"].post
    history = reverse("forum:revisions", kwargs={"post_id": first.id})
    assert "canaryhiddenfirst" in clients["alice"].get(history).content.decode()
    deleted = canaries["deleted topic"].topic
    assert "canarydeletedtopic" in clients["staff"].get(deleted.get_absolute_url()).content.decode()
    probe = _probe(canaries["private category topic"])
    search = clients["bob"].get("/search/", {"q": probe}).content.decode()
    assert "canaryprivatecategory" in search
