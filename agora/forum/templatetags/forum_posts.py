"""A topic page's posts, written in Python.

The page shows 20 posts of some 40 template values and conditions each; through the template
engine (an include per post, a lookup per value) that was two thirds of the page's time. These
tags produce the markup forum/_post.html, _like_button.html and _bookmark_button.html showed,
escaping every value; the stored post HTML is already sanitised (agora.core.markdown.render).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from html import escape

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agora.forum import permissions
from agora.forum.links import fast_reverse
from agora.forum.models import Post, Topic
from agora.forum.templatetags.forum_tags import _shown_time
from agora.forum.timefmt import natural_time

register = template.Library()


@lru_cache(maxsize=16)
def _labels(language: str | None) -> dict[str, str]:
    """The post's fixed words in the active language, escaped once."""
    del language  # the cache key: gettext below reads the active language
    words = {
        "edit_history": _("Edit history"),
        "deleted": _("This post was deleted."),
        "show_deleted": _("Show deleted text"),
        "hidden": _("This post was hidden by the community's flags and is awaiting review."),
        "accepted": _("Accepted answer"),
        "reply": _("Reply"),
        "quote": _("Quote"),
        "unaccept": _("Unaccept answer"),
        "accept": _("Accept answer"),
        "flag": _("Flag"),
        "flag_why": _("Why are you flagging this post?"),
        "flag_more": _("Tell the moderators more (optional)"),
        "flag_post": _("Flag post"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "restore": _("Restore"),
        "unlike": _("Remove your like"),
        "like": _("Like this post"),
        "likes": _("likes"),
        "bookmarked": _("Bookmarked"),
        "bookmark": _("Bookmark"),
    }
    return {key: escape(str(value)) for key, value in words.items()}


def _csrf(context) -> str:
    return CsrfTokenNode().render(context)


def _like_button(post: Post, liked: bool, *, csrf: str, labels: dict[str, str]) -> str:
    url = escape(fast_reverse("forum:like", post_id=post.id))
    undo = '<input type="hidden" name="undo" value="1">' if liked else ""
    return (
        f'<form method="post" action="{url}" class="inline-form" hx-post="{url}" '
        f'hx-swap="outerHTML">\n  {csrf}\n'
        f"  {undo}\n"
        f'  <button type="submit" class="icon-button{" active" if liked else ""}" '
        f'aria-pressed="{"true" if liked else "false"}"\n'
        f'          title="{labels["unlike"] if liked else labels["like"]}">\n'
        f'    ♥ <span class="like-count">{post.like_count}</span>'
        f'<span class="visually-hidden"> {labels["likes"]}</span>\n'
        f"  </button>\n</form>\n"
    )


def _bookmark_button(post: Post, bookmarked: bool, *, csrf: str, labels: dict[str, str]) -> str:
    url = escape(fast_reverse("forum:bookmark", post_id=post.id))
    return (
        f'<form method="post" action="{url}" class="inline-form" hx-post="{url}" '
        f'hx-swap="outerHTML">\n  {csrf}\n'
        f'  <button type="submit" class="icon-button{" active" if bookmarked else ""}" '
        f'aria-pressed="{"true" if bookmarked else "false"}">\n'
        f"    🔖 {labels['bookmarked'] if bookmarked else labels['bookmark']}\n"
        f"  </button>\n</form>\n"
    )


@register.simple_tag(takes_context=True)
def like_button(context, post: Post, liked: bool) -> SafeString:
    """The like toggle of a post (also the htmx answer to a like)."""
    labels = _labels(get_language())
    return mark_safe(_like_button(post, liked, csrf=_csrf(context), labels=labels))  # escaped


@register.simple_tag(takes_context=True)
def bookmark_button(context, post: Post, bookmarked: bool) -> SafeString:
    """The bookmark toggle of a post (also the htmx answer to a bookmark)."""
    labels = _labels(get_language())
    return mark_safe(_bookmark_button(post, bookmarked, csrf=_csrf(context), labels=labels))


class _Page:
    """What every post on the page shares: the viewer, the topic, words, URLs."""

    def __init__(self, context) -> None:
        self.context = context
        self.topic: Topic = context["topic"]
        self.user = context.get("user")
        self.member = bool(self.user is not None and self.user.is_authenticated)
        self.user_pk = self.user.pk if self.member else None
        self.is_staff = bool(context.get("is_staff"))
        self.can_reply = bool(context.get("can_reply"))
        self.can_accept = bool(context.get("can_accept"))
        self.target = context.get("target_number")
        self.labels = _labels(get_language())
        self.topic_url = escape(self.topic.get_absolute_url())
        self.language = get_language()
        self.now = datetime.now(UTC)  # one "now" for every post's relative time
        self.profiles: dict[int, str] = {}
        self._csrf: str | None = None
        self._flag_reasons: str | None = None

    @property
    def csrf(self) -> str:
        if self._csrf is None:
            self._csrf = _csrf(self.context)
        return self._csrf

    @property
    def flag_reasons(self) -> str:
        if self._flag_reasons is None:
            self._flag_reasons = "".join(
                f'<label><input type="radio" name="reason" value="{escape(str(value))}" '
                f"required> {escape(str(label))}</label>"
                for value, label in self.context.get("flag_reasons", ())
            )
        return self._flag_reasons

    def profile_url(self, author) -> str:
        url = self.profiles.get(author.pk)
        if url is None:
            url = self.profiles[author.pk] = escape(author.get_absolute_url())
        return url


def _header(post: Post, page: _Page) -> str:
    author = post.author
    name = escape(author.name)
    if author.avatar:
        avatar = (
            f'<img class="avatar avatar-md" src="{escape(author.avatar.url)}" alt="" '
            f'width="40" height="40">'
        )
    else:
        initial = escape(author.name[:1].upper())
        avatar = (
            f'<span class="avatar avatar-md avatar-initial" aria-hidden="true">{initial}</span>'
        )
    reply_to = ""
    if post.reply_to_id and post.reply_to:
        number = post.reply_to.number
        reply_to = (
            f'<a class="reply-to muted" href="{page.topic_url}{number}/#post-{number}">'
            f"↪ {escape(post.reply_to.author.name)}</a>"
        )
    created = template_localtime(post.created_at, use_tz=page.context.use_tz)
    shown = _shown_time(page.language, created, str(created.tzinfo), page.context.use_l10n)
    revisions = ""
    if post.revision_count:
        url = escape(fast_reverse("forum:revisions", post_id=post.id))
        revisions = (
            f'<a class="muted" href="{url}" title="{page.labels["edit_history"]}">'
            f"✎ {post.revision_count}</a>"
        )
    return (
        f'  <header class="post-header">\n'
        f'    <a href="{page.profile_url(author)}" class="post-author">\n'
        f"      {avatar}\n      <strong>{name}</strong>\n    </a>\n"
        f"    {reply_to}\n"
        f'    <a class="post-date muted" href="{page.topic_url}{post.number}/#post-{post.number}">'
        f'<time datetime="{created.isoformat()}" title="{shown}">'
        f"{escape(natural_time(post.created_at, page.now))}</time></a>\n"
        f"    {revisions}\n  </header>\n"
    )


def _body(post: Post, page: _Page, accepted: bool) -> str:
    labels = page.labels
    if post.deleted_at:
        shown = ""
        if page.is_staff:
            shown = (
                f"<details><summary>{labels['show_deleted']}</summary>"
                f'<div class="post-body">{post.html}</div></details>'
            )
        return f'  <p class="muted deleted-note">{labels["deleted"]}</p>\n  {shown}\n'
    if post.hidden and not page.is_staff and page.user_pk != post.author_id:
        return f'  <p class="muted">{labels["hidden"]}</p>\n'
    note = f'<p class="accepted-note">✔ {labels["accepted"]}</p>' if accepted else ""
    return f'  {note}\n  <div class="post-body">{post.html}</div>\n'


def _actions(post: Post, page: _Page, accepted: bool) -> str:
    labels, parts = page.labels, []
    other = page.member and page.user_pk != post.author_id
    if not post.deleted_at:
        if other:
            liked = bool(getattr(post, "viewer_liked", False))
            parts.append(_like_button(post, liked, csrf=page.csrf, labels=labels))
        elif post.like_count:
            parts.append(f'<span class="muted">♥ {post.like_count}</span>')
        if page.member:
            marked = bool(getattr(post, "viewer_bookmarked", False))
            parts.append(_bookmark_button(post, marked, csrf=page.csrf, labels=labels))
        if page.can_reply:
            name, username = escape(post.author.name), escape(post.author.username)
            parts.append(
                f'<button type="button" class="icon-button" data-reply-to="{post.id}" '
                f'data-reply-name="{name}">↩ {labels["reply"]}</button>\n'
                f'<button type="button" class="icon-button" data-quote-post="{post.number}" '
                f'data-quote-author="{username}">❝ {labels["quote"]}</button>'
            )
        if page.can_accept and post.number > 1:
            url = escape(fast_reverse("forum:accept", post_id=post.id))
            label = labels["unaccept"] if accepted else f"✔ {labels['accept']}"
            parts.append(
                f'<form method="post" action="{url}" class="inline-form">{page.csrf}\n'
                f'  <button type="submit" class="icon-button">{label}</button>\n</form>'
            )
        if other:
            url = escape(fast_reverse("moderation:flag", post_id=post.id))
            parts.append(
                f'<details class="flag-menu">\n'
                f'  <summary class="icon-button">⚑ {labels["flag"]}</summary>\n'
                f'  <form method="post" action="{url}">\n    {page.csrf}\n'
                f"    <fieldset>\n      <legend>{labels['flag_why']}</legend>\n"
                f"      {page.flag_reasons}\n    </fieldset>\n"
                f'    <input type="text" name="message" maxlength="500" '
                f'placeholder="{labels["flag_more"]}" aria-label="{labels["flag_more"]}">\n'
                f'    <button type="submit" class="secondary">{labels["flag_post"]}</button>\n'
                f"  </form>\n</details>"
            )
        if page.is_staff or (page.user_pk == post.author_id and not page.topic.closed):
            edit = escape(fast_reverse("forum:edit_post", post_id=post.id))
            delete = escape(fast_reverse("forum:delete_post", post_id=post.id))
            parts.append(
                f'<a class="icon-button" href="{edit}">✎ {labels["edit"]}</a>\n'
                f'<form method="post" action="{delete}" class="inline-form">{page.csrf}\n'
                f'  <button type="submit" class="icon-button danger">'
                f"🗑 {labels['delete']}</button>\n</form>"
            )
    elif page.is_staff:
        url = escape(fast_reverse("forum:restore_post", post_id=post.id))
        parts.append(
            f'<form method="post" action="{url}" class="inline-form">{page.csrf}\n'
            f'  <button type="submit" class="icon-button">↺ {labels["restore"]}</button>\n</form>'
        )
    return '  <footer class="post-actions">\n' + "\n".join(parts) + "\n  </footer>\n"


def _article(post: Post, page: _Page) -> str:
    accepted = page.topic.accepted_answer_id == post.id
    classes = "post"
    if post.deleted_at:
        classes += " deleted"
    if accepted:
        classes += " accepted"
    if post.number == page.target:
        classes += " target"
    # The source (for the quote button) only where the viewer may read the post's text.
    raw = escape(post.raw) if permissions.can_read_post_text(page.user, post) else ""
    return (
        f'<article class="{classes}" id="post-{post.number}" data-post-id="{post.id}" '
        f'data-author="{escape(post.author.username)}">\n'
        + _header(post, page)
        + _body(post, page, accepted)
        + _actions(post, page, accepted)
        + f'  <div hidden class="post-raw">{raw}</div>\n</article>\n'
    )


@register.simple_tag(takes_context=True)
def topic_posts(context, posts: Iterable[Post]) -> SafeString:
    """The posts of a topic page (context: topic, user, is_staff, can_reply, can_accept,
    target_number, flag_reasons), each an <article class="post">."""
    page = _Page(context)
    return mark_safe("".join(_article(post, page) for post in posts))  # every value is escaped


@register.simple_tag(takes_context=True)
def topic_post(context, post: Post) -> SafeString:
    """One post of a topic page (what forum/_post.html shows)."""
    return topic_posts(context, [post])
