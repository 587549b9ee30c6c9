"""Natural-language queries, as members type them: when no post holds every word, the search
ranks the posts holding the rarer words first, with function words ignored; and the search page
says how much each tab holds and opens on the first tab that holds something."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from agora.search import query

SEARCH = reverse("search:search")
LABELS = json.loads((Path(__file__).parent / "relevance.json").read_text())


@pytest.fixture
def labelled(alice, bob, lounge, write):
    """The labelled posts of relevance.json, and distractors sharing their common words."""
    topics = {}
    for key, (title, body) in LABELS["posts"].items():
        topics[key] = write(alice, lounge, title, body)
    distractors = [
        ("图像生成的一些想法", "我们用模型生成图像，也用模型生成文字，什么都可以生成。"),
        ("模型分享一下吧", "这个模型生成的图像很好看，大家可以用一下。"),
        (
            "Image of the week",
            "How do I use this image? I use it as a wallpaper, you can use it too.",
        ),
        ("A model for photos", "Which model do you use for your own photos and images?"),
    ]
    for title, body in distractors:
        write(bob, lounge, title, body)
    return {topic.id: key for key, topic in topics.items()}


def first_keys(client, labelled, text: str, n: int = 3) -> list[str]:
    response = client.get(SEARCH, {"q": text})
    assert response.status_code == 200
    return [labelled.get(r.post.topic_id, "-") for r in response.context["results"]][:n]


def test_natural_language_queries_find_the_post_they_mean_first(client, labelled):
    # Chinese: no post holds 用, stable, diffusion, 生成 and 图像 all together.
    assert first_keys(client, labelled, "用 Stable Diffusion 生成图像")[0] == "sd-zh"
    assert first_keys(client, labelled, "显存不够怎么跑大模型")[0] == "vram-zh"
    assert first_keys(client, labelled, "如何把模糊的老照片放大")[0] == "upscale-zh"
    # English questions
    assert first_keys(client, labelled, "how do I train a lora on my own photos")[0] == "lora-en"
    assert first_keys(client, labelled, "what guidance scale should I use")[0] == "cfg-en"
    assert first_keys(client, labelled, "reproduce the same image from a seed")[0] == "seed-en"
    # every labelled query of both languages finds its post in the first ten
    missed = [
        item["q"]
        for item in LABELS["queries"]
        if not set(item["relevant"]) & set(first_keys(client, labelled, item["q"], n=10))
    ]
    assert missed == []
    # The fallback only runs when nothing holds every word: precise queries stay precise.
    assert first_keys(client, labelled, "LoRA SDXL rank", n=10) == ["lora-en"]
    assert first_keys(client, labelled, "zzzyxw nothingatall") == []


def test_function_words_alone_do_not_select(db):
    parsed = query.parse("how do I use the 的 了")
    assert [t.words for t in query.content_terms(parsed)] == [t.words for t in parsed.terms]
    parsed = query.parse("how do I train a lora")
    assert [t.words[0] for t in query.content_terms(parsed)] == ["train", "lora"]


def test_tabs_show_their_counts_and_the_page_opens_on_the_first_with_results(
    client, alice, lounge, write
):
    from agora.search import services

    write(alice, lounge, "Cats in latent space", "A cat, then two cats, all sampled.")
    services.index_objects(kind="member", object_ids=[alice.id])
    response = client.get(SEARCH, {"q": "Martin"})  # only a member: Alice Martin
    assert response.context["kind"] == "members"
    assert [m.username for m in response.context["members"]] == ["alice"]
    counts = {k.choice: n for k, n in response.context["kinds"]}
    assert counts["posts"] == 0 and counts["members"] == 1
    body = response.content.decode()
    assert 'aria-current="page">' in body and '<span class="badge tab-count">1</span>' in body
    # a tab the member chose stays chosen, even empty
    assert client.get(SEARCH, {"q": "Martin", "kind": "posts"}).context["kind"] == "posts"
    # posts first when posts hold something
    response = client.get(SEARCH, {"q": "cat"})
    assert response.context["kind"] == "posts"
    assert {k.choice: n for k, n in response.context["kinds"]}["posts"] == 1
