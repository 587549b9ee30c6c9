"""In Chromium: write a topic with a formula, a mermaid diagram and code, see them rendered,
then quote a reply from another member."""

from __future__ import annotations

import pytest

from agora.conftest import PASSWORD, make_member
from agora.forum import services
from agora.forum.models import Category, Post, Topic

pytestmark = [pytest.mark.browser]

BODY = r"""The DDPM loss is $$L = \mathbb{E}\left\|\epsilon - \epsilon_\theta(x_t, t)\right\|^2$$

```mermaid
graph TD
  A[noise] --> B[image]
```

```python
def alpha_bar(t):
    return torch.cumprod(1 - betas, 0)[t]
```
"""


def log_in(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")


def test_write_a_rich_topic_and_quote_a_reply(page, live_server):
    base = live_server.url
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    make_member("mei")
    bob = make_member("bob")
    log_in(page, base, "mei")

    page.goto(base + "/new-topic/")
    page.fill("input[name=title]", "Notes on the DDPM loss")
    page.select_option("select[name=category]", str(lounge.id))
    page.fill("input[name=tags]", "diffusion")
    page.fill("textarea[name=raw]", BODY)
    # The live preview renders the same Markdown before posting.
    page.locator(".composer-preview math").first.wait_for()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/t/**")

    post = page.locator("article.post").first
    assert post.locator("math").count() >= 1
    assert "\\mathbb" not in post.locator(".post-body").inner_text()
    post.locator("pre.mermaid svg").wait_for()  # mermaid drew the diagram in the browser
    assert post.locator(".highlight .k, .highlight .nf").count() > 0  # highlighted Python

    topic = Topic.objects.get()
    services.create_post(author=bob, topic=topic, raw="Sampling with DDIM needs far fewer steps.")
    page.goto(base + topic.get_absolute_url() + "?page=1")
    reply = page.locator("article.post", has_text="far fewer steps")
    reply.get_by_role("button", name="Quote").click()
    textarea = page.locator("textarea[name=raw]")
    assert textarea.input_value().startswith("> @bob [wrote](")
    textarea.press("End")
    textarea.type("Agreed, 50 DDIM steps work well. Thanks @bo")
    page.locator(".mention-suggestions li", has_text="@bob").wait_for()  # autocomplete
    textarea.press("Enter")
    assert textarea.input_value().endswith("Thanks @bob ")
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url("**/3/")
    quoted = page.locator("article.post#post-3 blockquote")
    assert "far fewer steps" in quoted.inner_text()
    mine = Post.objects.get(number=3)
    assert mine.author.username == "mei"
    assert 'Thanks <a href="/u/bob/" class="mention"' in mine.html
    assert page.problems == []

    # Bob sees the mention: the bell counts it and the list links to the post.
    page.context.clear_cookies()
    log_in(page, live_server.url, "bob")
    bell = page.locator("a.notification-bell")
    assert "unread" in bell.get_attribute("aria-label")
    bell.click()
    page.get_by_text("mei mentioned you in “Notes on the DDPM loss”").click()
    page.wait_for_url("**/3/**")
    assert page.locator("article.post#post-3").is_visible()


def test_post_times_read_relative_in_the_readers_language(page, live_server):
    """The server writes each post's time as a date and time in the reader's zone (no per-post
    `naturaltime` or date format); the browser says it relative to now, in English and in
    Chinese, and puts the date in the page's language in the tooltip."""
    from datetime import timedelta

    from django.utils import timezone

    lounge = Category.objects.create(slug="lounge", name="Lounge")
    mei = make_member("mei")
    topic = services.create_topic(
        author=mei, category=lounge, title="Seeds that reproduce", raw="Seed 7 gives the same grid."
    )
    written_at = timezone.now() - timedelta(days=3)
    Post.objects.filter(topic=topic).update(created_at=written_at)
    url = live_server.url + topic.get_absolute_url()

    page.goto(url)
    when = page.locator("article.post time[data-relative]").first
    assert when.inner_text() == "3 days ago"
    title = when.get_attribute("title")  # "Nov 30, 2026, 2:49 PM", not the ISO text
    assert str(written_at.year) in title and "-" not in title
    page.context.add_cookies(
        [{"name": "agora_language", "value": "zh-hans", "url": live_server.url}]
    )
    page.goto(url)
    assert page.locator("html").get_attribute("lang").startswith("zh")
    when = page.locator("article.post time[data-relative]").first
    assert when.inner_text() == "3天前"
    assert f"{written_at.year}年" in when.get_attribute("title")
    assert page.problems == []


def test_list_times_read_relative_in_the_readers_language(page, live_server):
    """A topic list writes each row's last activity as a date and time (no `naturaltime`, so a
    kept row never goes stale); the browser says it relative to now and puts the date in the
    page's language in the tooltip, on the latest list and on a category's list."""
    from datetime import timedelta

    from django.utils import timezone

    lounge = Category.objects.create(slug="lounge", name="Lounge")
    mei = make_member("mei")
    topic = services.create_topic(
        author=mei, category=lounge, title="Seeds that reproduce", raw="Seed 7 gives the same grid."
    )
    bumped = timezone.now() - timedelta(days=3)
    Topic.objects.filter(pk=topic.pk).update(bumped_at=bumped)
    year = str(bumped.year)

    for path in ["/latest/", "/c/lounge/"]:
        page.goto(live_server.url + path)
        when = page.locator("tr.topic-row td.activity time[data-relative]").first
        assert when.inner_text() == "3 days ago"
        title = when.get_attribute("title")
        assert year in title and "-" not in title  # "Nov 30, 2026, 2:49 PM", not the ISO text
    page.context.add_cookies(
        [{"name": "agora_language", "value": "zh-hans", "url": live_server.url}]
    )
    for path in ["/latest/", "/c/lounge/"]:
        page.goto(live_server.url + path)
        when = page.locator("tr.topic-row td.activity time[data-relative]").first
        assert when.inner_text() == "3天前"
        assert f"{year}年" in when.get_attribute("title")
    assert page.problems == []
