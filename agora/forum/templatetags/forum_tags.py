"""Topic list rows and category badges, written in Python.

A list page shows 30 rows of about 25 values each; through the template engine (an include per
row, a lookup and a filter per value) that was two thirds of the page's time. These tags produce
the same markup the row templates did, escaping every value, at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from html import escape

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agora.forum.links import fast_reverse
from agora.forum.models import Category, Topic
from agora.forum.timefmt import natural_time, shown_time

register = template.Library()


@lru_cache(maxsize=16)
def _labels(language: str | None) -> dict[str, str]:
    """The row's fixed words in the active language, escaped once."""
    del language  # the cache key: gettext below reads the active language
    pinned = conditional_escape(_("Pinned"))
    closed = conditional_escape(_("Closed"))
    solved = conditional_escape(_("Solved"))
    return {
        "pin": f'<span class="pin" title="{pinned}" aria-label="{pinned}">📌</span>',
        "lock": f'<span class="lock" title="{closed}" aria-label="{closed}">🔒</span>',
        "solved": f'<span class="solved" title="{solved}" aria-label="{solved}">✔</span>',
        "unread": conditional_escape(_("Unread posts")),
        "new": f'<span class="badge new-badge">{conditional_escape(_("new"))}</span>',
        "replies": conditional_escape(_("Replies")),
        "likes": conditional_escape(_("Likes")),
        "views": conditional_escape(_("Views")),
    }


@lru_cache(maxsize=4096)
def _shown_time(language: str | None, moment: datetime, zone: str, use_l10n: bool | None) -> str:
    """`{{ moment }}` in a template (the localised date and time): a pure function of these."""
    del language, zone  # cache keys: the active language is read; moment has the zone
    return escape(shown_time(moment, use_l10n))


def _badge(category: Category) -> str:
    return (
        f'<a class="category-badge cat-{category.id}" '
        f'href="{conditional_escape(category.get_absolute_url())}">'
        f'<span class="swatch" aria-hidden="true"></span>'
        f"{conditional_escape(category.display_name)}</a>"
    )


@register.simple_tag
def category_badge(category: Category) -> SafeString:
    """A category's name on its colour, linking to it (the colour comes from categories.css)."""
    return mark_safe(_badge(category))  # every value above is escaped


def _row(
    topic: Topic, *, labels: dict[str, str], member: bool, badges: dict[int, str], context
) -> str:
    unread = topic.unread_posts
    url = escape(topic.get_absolute_url())
    flags = "".join(
        labels[key]
        for key, on in (
            ("pin", topic.pinned_globally or topic.pinned_in_category),
            ("lock", topic.closed),
            ("solved", topic.accepted_answer_id),
        )
        if on
    )
    if unread:
        title = labels["unread"]
        badge = f'<a class="badge unread-badge" href="{url}" title="{title}">{unread}</a>'
    elif member and getattr(topic, "viewer_last_read", "") is None:
        badge = labels["new"]  # never opened
    else:
        badge = ""
    category = ""
    if topic.category_id is not None and topic.category is not None:
        category = badges.get(topic.category_id) or badges.setdefault(
            topic.category_id, _badge(topic.category)
        )
    # Tag names from the list selectors (authors=False), else the prefetched tags as they are:
    # topic.tags.all() builds a related manager per row.
    names = getattr(topic, "row_tags", None)
    if names is None:
        prefetched = getattr(topic, "_prefetched_objects_cache", {}).get("tags")
        names = [t.name for t in (prefetched if prefetched is not None else topic.tags.all())]
    tags = "".join(
        f'<a class="tag" href="{escape(fast_reverse("forum:tag", name=name))}">#{escape(name)}</a>'
        for name in names
    )
    bumped = template_localtime(topic.bumped_at, use_tz=context.use_tz)
    shown = _shown_time(get_language(), bumped, str(bumped.tzinfo), context.use_l10n)
    return (
        f'<tr class="topic-row{" has-unread" if unread else ""}">\n'
        f'  <td class="topic-main">\n    {flags}\n'
        f'    <a class="topic-title" href="{url}">{escape(topic.title)}</a>\n'
        f"    {badge}\n"
        f'    <div class="topic-meta">{category}{tags}</div>\n  </td>\n'
        f'  <td class="num" data-label="{labels["replies"]}">{topic.post_count - 1}</td>\n'
        f'  <td class="num" data-label="{labels["likes"]}">{topic.like_count}</td>\n'
        f'  <td class="num" data-label="{labels["views"]}">'
        f"{escape(intcomma(topic.view_count))}</td>\n"
        f'  <td class="activity"><time datetime="{bumped.isoformat()}" title="{shown}">'
        f"{escape(natural_time(topic.bumped_at))}</time></td>\n</tr>\n"
    )


@register.simple_tag(takes_context=True)
def topic_rows(context, topics: Iterable[Topic]) -> SafeString:
    """The rows of a topic list (`<tr>`s for the topic-list table), one per topic."""
    user = context.get("user")
    member = bool(user is not None and user.is_authenticated)
    labels = _labels(get_language())
    badges: dict[int, str] = {}
    rows = [
        _row(topic, labels=labels, member=member, badges=badges, context=context)
        for topic in topics
    ]
    return mark_safe("".join(rows))  # every value in a row is escaped


@register.simple_tag(takes_context=True)
def topic_row(context, topic: Topic) -> SafeString:
    """One row of a topic list (what forum/_topic_row.html shows)."""
    return topic_rows(context, [topic])
