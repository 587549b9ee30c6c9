"""A site filled with the hostile corpus through the services, every field that takes user text;
returns the pages where that text shows. Shared by the fast HTML checks and the browser test."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from agora.core.tests import xss_payloads as corpus


def _png(texts: dict[str, str]) -> bytes:
    info = PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def build(*, alice, bob, staff) -> dict[str, str]:
    """alice writes everything; bob is her correspondent; staff owns events and articles."""
    from agora.accounts.services import update_profile
    from agora.events.services import create_event
    from agora.forum.models import Category
    from agora.forum.services import create_post, create_private_topic, create_topic
    from agora.gallery.services import add_comment, upload_work
    from agora.lab.models import LabDataset, LabModel, TrainingRun
    from agora.learn.services import create_article, import_article
    from agora.showcase.services import create_launch, create_partner_request

    body = corpus.MARKDOWN_BODY
    pages: dict[str, str] = {}
    lounge = Category.objects.create(
        slug="lounge", name=corpus.TEXT[1][:50], description=corpus.TEXT[2]
    )
    update_profile(
        user=alice,
        display_name=corpus.TEXT[3][:50],
        bio=body[:2000],
        links=["https://example.com/?q=%22%3E%3Cscript%3E"],
        skills=[corpus.TEXT[2][:40]],
        interests=[corpus.TEXT[4][:40]],
    )
    pages["profile"] = alice.get_absolute_url()
    topic = create_topic(
        author=alice,
        category=lounge,
        title=corpus.title(1),
        raw=body,
        tags=["c++", "x.y#z"],  # tag names are restricted to letters, digits and - . + #
    )
    create_post(author=bob, topic=topic, raw=corpus.MARKDOWN_BODY + "\n\nreply")
    for i in range(2, 6):
        create_topic(
            author=alice, category=lounge, title=corpus.title(i), raw=f"{body}\n\ntopic {i}"
        )
    pages["topic"] = topic.get_absolute_url()
    pages["latest"] = "/latest/"
    pages["category"] = lounge.get_absolute_url()
    pages["tag"] = "/tag/c++/"
    pm = create_private_topic(author=alice, recipients=[bob], title=corpus.title(6), raw=body)
    pages["message"] = pm.get_absolute_url()

    now = timezone.now()
    event = create_event(
        organizer=staff,
        title=corpus.title(7),
        kind="meetup",
        description=body,
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        tz="UTC",
        venue=corpus.TEXT[0],
        speakers=corpus.TEXT[3],
    )
    pages["event"] = event.get_absolute_url()
    article = create_article(
        author=staff,
        title=corpus.title(8),
        body=body,
        difficulty="beginner",
        language="en",
        area="tooling",
        summary=corpus.TEXT[5],
        series=corpus.TEXT[9][:60],
        part=1,
    )
    pages["article"] = article.get_absolute_url()
    front = f'---\ntitle: "{corpus.title(10)}"\nsummary: "{corpus.TEXT[11]}"\n---\n{body}\n'
    imported = import_article(author=staff, upload=SimpleUploadedFile("hostile.md", front.encode()))
    pages["imported_article"] = imported.get_absolute_url()
    launch = create_launch(
        owner=alice,
        name=corpus.TEXT[12][:60],
        tagline=corpus.TEXT[1],
        description=body,
        audience=corpus.TEXT[4],
        website="https://example.com/launch",
    )
    pages["launch"] = launch.get_absolute_url()
    partner = create_partner_request(
        author=alice,
        title=corpus.title(13),
        role=_first_role(),
        description=body,
        skills="python, svg",
        location=corpus.TEXT[6],
        remote=True,
        days=30,
    )
    pages["partner"] = partner.get_absolute_url()
    work, _notes = upload_work(
        author=alice,
        upload=SimpleUploadedFile(
            "x.png",
            _png({"parameters": f"{corpus.TEXT[1]}\nNegative prompt: {corpus.TEXT[2]}\nSteps: 20"}),
        ),
        title=corpus.title(14),
        description=body[:4000],
        tags="svg, mathml",
    )
    add_comment(user=bob, work=work, raw=body[:5000])
    pages["work"] = work.get_absolute_url()
    pages["gallery"] = "/gallery/"

    LabDataset.objects.create(owner=alice, name=corpus.TEXT[2][:80], size_bytes=10)
    pages["datasets"] = "/lab/datasets/"
    run = TrainingRun.objects.create(
        owner=alice,
        title=corpus.title(15),
        family="gan",
        dataset="mnist",
        steps=10,
        status=TrainingRun.Status.COMPLETED,
    )
    model = LabModel.objects.create(
        run=run,
        owner=alice,
        name=corpus.TEXT[16][:120],
        card=body,
        card_html=__import__("agora.core.markdown", fromlist=["render"]).render(body),
        licence=corpus.TEXT[17][:40],
        checkpoint="lab/models/x.safetensors",
    )
    pages["run"] = run.get_absolute_url()
    pages["model"] = model.get_absolute_url()
    pages["lab"] = "/lab/"
    pages["search"] = "/search/?q=script"
    pages["search_hostile"] = "/search/?q=" + corpus.TEXT[1].replace("#", "%23")
    pages["members"] = "/members/"
    pages["launches"] = "/launches/"
    pages["partners"] = "/partners/"
    pages["events"] = "/events/"
    pages["learn"] = "/learn/"
    pages["notifications"] = "/notifications/"
    return pages


def _first_role() -> str:
    from agora.showcase.models import PartnerRequest

    return PartnerRequest.Role.values[0]
