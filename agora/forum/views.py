from __future__ import annotations

import hashlib
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agora.core.forms import add_validation_errors
from agora.core.markdown import render as render_markdown
from agora.core.params import parse_int
from agora.core.text import first_image
from agora.forum import permissions, selectors, services
from agora.forum.forms import (
    EditPostForm,
    NotificationLevelForm,
    PrivateMessageForm,
    ReplyForm,
    TopicForm,
)
from agora.forum.models import Access, Draft, NotificationLevel, Tag
from agora.moderation.models import Flag

FLAG_REASONS = Flag.Reason.choices


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _page_number(request: HttpRequest) -> int:
    return parse_int(request.GET.get("page", "1"), minimum=1, maximum=10_000) or 1


# --- lists -------------------------------------------------------------------------------------


def _row_key(topic, member: bool, language: str, zone: str) -> str:
    """Everything a topic row shows, so a kept row is never stale: the topic's columns, its
    category and tags, the viewer's read state, language and zone. The row writes its last
    activity as a time (the browser says it relative to now), so no key depends on "now"."""
    category = topic.category if topic.category_id else None
    shown = (
        topic.id,
        topic.title,
        topic.image,
        topic.category_id,
        category.slug if category else "",
        category.display_name if category else "",
        tuple(topic.tag_names),
        topic.post_count,
        topic.like_count,
        topic.view_count,
        topic.bumped_at.isoformat(),
        topic.pinned_globally or topic.pinned_in_category,
        topic.closed,
        topic.accepted_answer_id is not None,
        member,
        topic.unread_posts,
        member and getattr(topic, "viewer_last_read", None) is None,
        language,
        zone,
    )
    return "topic-row:" + hashlib.sha256(repr(shown).encode()).hexdigest()


def topic_rows(request: HttpRequest, topics) -> SafeString:
    """The `<tr>` rows of a topic list. Each row is the Jinja2 template forum/topic_row.html,
    kept in this process's "rows" cache under a key made of everything it shows (the row
    repeats 30 times a page, and the same rows are shown request after request)."""
    member = request.user.is_authenticated
    language, zone = get_language(), get_current_timezone_name()
    rows = caches["rows"]
    keys = {topic.id: _row_key(topic, member, language, zone) for topic in topics}
    kept = rows.get_many(list(keys.values()))
    html = []
    for topic in topics:
        key = keys[topic.id]
        row = kept.get(key)
        if row is None:
            context = {"topic": topic, "member": member}
            row = render_to_string("forum/topic_row.html", context, request=request)
            rows.set(key, row)
        html.append(row)
    return mark_safe("".join(html))  # rows rendered by an auto-escaping template


def _render_list(
    request: HttpRequest,
    *,
    heading: str,
    page,
    pinned=(),
    category=None,
    tag=None,
    list_name: str = "latest",
    extra: dict | None = None,
) -> HttpResponse:
    access = permissions.get_access(request)
    context = {
        "heading": heading,
        "topics": page.topics,
        "rows": topic_rows(request, page.topics),
        "pinned_rows": topic_rows(request, pinned) if pinned else "",
        "next_cursor": page.next_cursor,
        "pinned": pinned,
        "category": category,
        "tag": tag,
        "list_name": list_name,
        "counts": selectors.unread_counts(viewer=request.user, access=access),
        "can_create": category is None
        or permissions.can_create_topic(request.user, category, access),
        **(extra or {}),
    }
    if _is_htmx(request) and request.GET.get("cursor"):
        return render(request, "forum/topic_list.html#topic-rows", context)
    return render(request, "forum/topic_list.html", context)


@require_safe
def latest(request: HttpRequest) -> HttpResponse:
    access = permissions.get_access(request)
    cursor = request.GET.get("cursor")
    pinned = selectors.pinned_topics(
        viewer=request.user, access=access, category=None, authors=False
    )
    page = selectors.latest_topics(
        viewer=request.user,
        access=access,
        cursor=cursor,
        exclude_ids=[t.id for t in pinned],
        authors=False,
    )
    return _render_list(request, heading=_("Latest"), page=page, pinned=[] if cursor else pinned)


@require_safe
def new(request: HttpRequest) -> HttpResponse:
    access = permissions.get_access(request)
    page = selectors.new_topics(
        viewer=request.user, access=access, cursor=request.GET.get("cursor"), authors=False
    )
    return _render_list(request, heading=_("New"), page=page, list_name="new")


@require_safe
@login_required
def unread(request: HttpRequest) -> HttpResponse:
    access = permissions.get_access(request)
    page = selectors.unread_topics(
        viewer=request.user, access=access, cursor=request.GET.get("cursor"), authors=False
    )
    return _render_list(request, heading=_("Unread"), page=page, list_name="unread")


@require_safe
def top(request: HttpRequest) -> HttpResponse:
    access = permissions.get_access(request)
    period = request.GET.get("period", "week")
    if period not in selectors.TOP_PERIODS:
        period = "week"
    number = _page_number(request)
    topics, has_more = selectors.top_topics(
        viewer=request.user, access=access, period=period, page=number, authors=False
    )
    context = {
        "heading": _("Top"),
        "topics": topics,
        "rows": topic_rows(request, topics),
        "list_name": "top",
        "period": period,
        "periods": list(selectors.TOP_PERIODS),
        "page_number": number,
        "has_more": has_more,
        "counts": selectors.unread_counts(viewer=request.user, access=access),
        "can_create": True,
    }
    return render(request, "forum/topic_list.html", context)


@require_safe
def categories(request: HttpRequest) -> HttpResponse:
    access = permissions.get_access(request)
    rows = selectors.category_index(access=access, viewer=request.user)
    return render(request, "forum/categories.html", {"rows": rows})


@require_safe
def category(request: HttpRequest, slug: str) -> HttpResponse:
    access = permissions.get_access(request)
    cat = selectors.get_category_for_viewer(slug=slug, access=access)
    cursor = request.GET.get("cursor")
    pinned = selectors.pinned_topics(
        viewer=request.user, access=access, category=cat, authors=False
    )
    page = selectors.latest_topics(
        viewer=request.user,
        access=access,
        category=cat,
        cursor=cursor,
        exclude_ids=[t.id for t in pinned],
        authors=False,
    )
    pinned = [] if cursor else pinned
    children = [c for c in access.visible_categories() if c.parent_id == cat.id]
    return _render_list(
        request,
        heading=cat.display_name,
        page=page,
        pinned=pinned,
        category=cat,
        list_name="category",
        extra={"subcategories": children},
    )


@require_safe
def tag(request: HttpRequest, name: str) -> HttpResponse:
    access = permissions.get_access(request)
    try:
        tag_obj = Tag.objects.get(name=name.lower())
    except Tag.DoesNotExist as exc:
        raise Http404("No such tag") from exc
    page = selectors.latest_topics(
        viewer=request.user,
        access=access,
        tag=tag_obj,
        cursor=request.GET.get("cursor"),
        authors=False,
    )
    return _render_list(
        request, heading=f"#{tag_obj.name}", page=page, tag=tag_obj, list_name="tag"
    )


@require_safe
def category_css(request: HttpRequest) -> HttpResponse:
    """Category colours as a stylesheet: the CSP allows no inline style attributes."""
    from agora.forum.models import Category

    colour = re.compile(r"#[0-9a-fA-F]{6}")
    rules = [
        f".cat-{c.id}{{--cat-color:{c.color}}}"
        for c in Category.objects.only("id", "color")
        if colour.fullmatch(c.color)
    ]
    response = HttpResponse("\n".join(rules), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def tags(request: HttpRequest) -> HttpResponse:
    tags = selectors.popular_tags(
        viewer=request.user, access=permissions.get_access(request), limit=200
    )
    return render(request, "forum/tags.html", {"tags": tags})


@require_safe
def tag_suggestions(request: HttpRequest) -> JsonResponse:
    found = selectors.search_tags(
        prefix=request.GET.get("q", ""),
        viewer=request.user,
        access=permissions.get_access(request),
    )
    return JsonResponse(
        {"tags": [{"name": t.name, "topics": t.visible_topic_count} for t in found]}
    )


# --- topic page --------------------------------------------------------------------------------


@require_safe
def topic(
    request: HttpRequest, slug: str, topic_id: int, number: int | None = None
) -> HttpResponse:
    access = permissions.get_access(request)
    topic_obj = selectors.get_topic_for_viewer(
        topic_id=topic_id, viewer=request.user, access=access, related=False
    )
    if slug != topic_obj.slug:  # an old or mistyped slug: one address per topic, for links too
        url = topic_obj.get_absolute_url() if number is None else topic_obj.get_post_url(number)
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url, permanent=True)
    topic_user = selectors.topic_user_for(topic=topic_obj, viewer=request.user)
    jump = (
        number is None
        and "page" not in request.GET
        and topic_user is not None
        and 0 < topic_user.last_read_post_number < topic_obj.highest_post_number
    )
    if jump:  # to the first unread post, as Discourse does
        return redirect(topic_obj.get_post_url(topic_user.last_read_post_number + 1))
    page_number = selectors.page_of_post(number) if number is not None else _page_number(request)
    posts, total_pages = selectors.topic_posts(
        topic=topic_obj, viewer=request.user, page=page_number
    )
    if posts:
        services.record_read(
            user=request.user,
            topic=topic_obj,
            up_to=posts[-1].number,
            topic_user=topic_user,
            known=True,
        )
    services.count_view(topic=topic_obj)
    user = request.user
    can_reply = permissions.can_reply(user, topic_obj, access)
    for post in posts:
        post.rights = permissions.post_rights(user, topic_obj, post, can_reply=can_reply)
    draft_key = services.draft_key_for(topic_obj)
    draft = selectors.reply_draft(topic=topic_obj, viewer=user, key=draft_key)
    context = {
        "topic": topic_obj,
        "topic_url": topic_obj.get_absolute_url(),
        "topic_tags": selectors.topic_tags(topic=topic_obj),
        "posts": posts,
        "page_number": min(page_number, total_pages),
        "total_pages": total_pages,
        "pages": range(1, total_pages + 1),
        "target_number": number,
        "topic_user": topic_user,
        "levels": NotificationLevel.choices,
        "can_reply": can_reply,
        "is_staff": permissions.is_staff(user),
        "reply_form": ReplyForm(initial={"raw": draft or ""}) if can_reply else None,
        "draft_key": draft_key,
        "flag_reasons": FLAG_REASONS,
        "move_targets": access.visible_categories() if permissions.is_staff(user) else [],
    }
    posts_html = render_to_string(
        "forum/posts.html",
        {name: context[name] for name in ("posts", "topic_url", "target_number", "flag_reasons")}
        | {"user": user},
        request=request,
    )
    context["posts_html"] = mark_safe(posts_html)  # rendered by an auto-escaping template
    first = posts[0] if posts and posts[0].number == 1 else None
    if permissions.is_public_topic(topic_obj, access) and (
        first is None or permissions.can_read_post_text(None, first)
    ):
        # link previews: only what a visitor could read, the first post's text and image
        context["social"] = {
            "description": first.html if first else "",
            "image": first_image(first.html) if first else "",
        }
    return render(request, "forum/topic.html", context)


# --- writing -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def new_topic(request: HttpRequest) -> HttpResponse:
    access = permissions.get_access(request)
    allowed = [c for c in access.visible_categories() if access.level(c.id) >= Access.CREATE]
    if not allowed:
        raise PermissionDenied(_("You may not start topics in any category."))
    if request.method == "POST":
        form = TopicForm(request.POST, categories=allowed)
        if form.is_valid():
            try:
                created = services.create_topic(
                    author=request.user,
                    category=form.cleaned_data["category"],
                    title=form.cleaned_data["title"],
                    raw=form.cleaned_data["raw"],
                    tags=form.cleaned_data["tags"],
                )
            except ValidationError as exc:
                add_validation_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("category", str(exc))
            else:
                return redirect(created.get_absolute_url())
    else:
        draft = Draft.objects.filter(user=request.user, key="new-topic").first()
        initial = {"title": draft.title, "raw": draft.raw} if draft else {}
        if not draft and request.GET.get("raw"):
            # "Share to the forum" from a lesson figure: the text that places the figure.
            initial = {"title": request.GET.get("title", ""), "raw": request.GET["raw"]}
        wanted = request.GET.get("category")
        for cat in allowed:
            if cat.slug == wanted:
                initial["category"] = cat.id
        form = TopicForm(initial=initial, categories=allowed)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "forum/new_topic.html", {"form": form, "draft_key": "new-topic"}, status=status
    )


@login_required
@require_POST
def reply(request: HttpRequest, topic_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    topic_obj = selectors.get_topic_for_viewer(
        topic_id=topic_id, viewer=request.user, access=access
    )
    form = ReplyForm(request.POST)
    if form.is_valid():
        reply_to = None
        if form.cleaned_data.get("reply_to"):
            reply_to = topic_obj.posts.filter(pk=form.cleaned_data["reply_to"]).first()
        try:
            post = services.create_post(
                author=request.user,
                topic=topic_obj,
                raw=form.cleaned_data["raw"],
                reply_to=reply_to,
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(topic_obj.get_post_url(post.number))
    return render(
        request,
        "forum/reply_error.html",
        {"topic": topic_obj, "reply_form": form, "draft_key": services.draft_key_for(topic_obj)},
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_post(request: HttpRequest, post_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=post_id, viewer=request.user, access=access)
    if not permissions.can_edit_post(request.user, post):
        raise PermissionDenied(_("You may not edit this post."))
    if request.method == "POST":
        form = EditPostForm(request.POST)
        if form.is_valid():
            try:
                services.edit_post(
                    editor=request.user,
                    post=post,
                    raw=form.cleaned_data["raw"],
                    title=form.cleaned_data["title"] if post.is_first else None,
                )
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return redirect(post.get_absolute_url())
    else:
        form = EditPostForm(initial={"raw": post.raw, "title": post.topic.title})
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "forum/edit_post.html", {"form": form, "post": post}, status=status)


@require_safe
def revisions(request: HttpRequest, post_id: int) -> HttpResponse:
    from agora.forum.diff import render_diffs

    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=post_id, viewer=request.user, access=access)
    if not permissions.can_read_post_text(request.user, post):
        raise Http404("No such post")  # its text, past or present, is not the viewer's to read
    revisions = list(selectors.revisions_of(post))
    diffs = render_diffs([(r.raw_before, r.raw_after) for r in revisions])
    rows = [{"revision": r, "diff": d} for r, d in zip(revisions, diffs, strict=True)]
    return render(request, "forum/revisions.html", {"post": post, "rows": rows})


@login_required
@require_POST
def delete_post(request: HttpRequest, post_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=post_id, viewer=request.user, access=access)
    services.delete_post(actor=request.user, post=post)
    messages.success(request, _("The post was deleted."))
    if post.is_first and not permissions.is_staff(request.user):
        return redirect("forum:latest")
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def restore_post(request: HttpRequest, post_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=post_id, viewer=request.user, access=access)
    services.restore_post(actor=request.user, post=post)
    messages.success(request, _("The post was restored."))
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def like(request: HttpRequest, post_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=post_id, viewer=request.user, access=access)
    if request.POST.get("undo"):
        services.unlike_post(user=request.user, post=post)
        liked = False
    else:
        services.like_post(user=request.user, post=post)
        liked = True
    post.refresh_from_db(fields=["like_count"])
    if _is_htmx(request):
        return render(request, "forum/_like_button.html", {"post": post, "liked": liked})
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def bookmark(request: HttpRequest, post_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=post_id, viewer=request.user, access=access)
    marked = services.toggle_bookmark(user=request.user, post=post)
    if _is_htmx(request):
        return render(request, "forum/_bookmark_button.html", {"post": post, "bookmarked": marked})
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def accept(request: HttpRequest, post_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=post_id, viewer=request.user, access=access)
    services.accept_answer(user=request.user, post=post)
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def topic_notifications(request: HttpRequest, topic_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    topic_obj = selectors.get_topic_for_viewer(
        topic_id=topic_id, viewer=request.user, access=access
    )
    form = NotificationLevelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown notification level."))
    else:
        services.set_topic_notification_level(
            user=request.user, topic=topic_obj, level=form.cleaned_data["level"]
        )
        messages.success(request, _("Notification level saved."))
    return redirect(topic_obj.get_absolute_url() + "?page=1")


@login_required
@require_POST
def moderate_topic(request: HttpRequest, topic_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    topic_obj = selectors.get_topic_for_viewer(
        topic_id=topic_id, viewer=request.user, access=access
    )
    action = request.POST.get("action", "")
    flags = {
        "close": {"closed": True},
        "open": {"closed": False},
        "pin": {"pinned_in_category": True},
        "pin_globally": {"pinned_globally": True},
        "unpin": {"pinned_in_category": False, "pinned_globally": False},
    }
    if action in flags:
        services.set_topic_state(actor=request.user, topic=topic_obj, **flags[action])
    elif action == "move":
        target = next(
            (c for c in access.visible_categories() if str(c.id) == request.POST.get("category")),
            None,
        )
        if target is None:
            messages.error(request, _("Choose a category to move the topic to."))
            return redirect(topic_obj.get_absolute_url() + "?page=1")
        services.move_topic(actor=request.user, topic=topic_obj, category=target)
    else:
        messages.error(request, _("Unknown action."))
        return redirect(topic_obj.get_absolute_url() + "?page=1")
    messages.success(request, _("Done."))
    return redirect(topic_obj.get_absolute_url() + "?page=1")


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """Live preview for the composer (htmx): the same renderer the saved post will use. Members
    only: every composer is behind a login, and rendering is the costliest thing we do per byte."""
    raw = request.POST.get("raw", "")[:60_000]
    return HttpResponse(render_markdown(raw) if raw.strip() else "")


@login_required
@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    """Paste or drop an image into the composer: returns the Markdown to insert."""
    file = request.FILES.get("image")
    if file is None:
        return JsonResponse({"error": _("Choose an image to upload.")}, status=400)
    try:
        record = services.upload_image(user=request.user, upload=file)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    markdown = services.upload_markdown(record, file.name)
    return JsonResponse({"url": record.file.url, "markdown": markdown})


@login_required
@require_POST
def save_draft(request: HttpRequest) -> HttpResponse:
    try:
        services.save_draft(
            user=request.user,
            key=request.POST.get("key", ""),
            raw=request.POST.get("raw", ""),
            title=request.POST.get("title", ""),
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    return HttpResponse(_("Draft saved"))


# --- member pages ------------------------------------------------------------------------------


@login_required
@require_safe
def bookmarks(request: HttpRequest) -> HttpResponse:
    access = permissions.get_access(request)
    cursor = request.GET.get("cursor")
    rows, next_cursor = selectors.member_bookmarks(
        viewer=request.user, access=access, cursor=cursor
    )
    context = {"bookmarks": rows, "next_cursor": next_cursor}
    if _is_htmx(request) and cursor:
        return render(request, "forum/bookmarks.html#bookmark-rows", context)
    return render(request, "forum/bookmarks.html", context)


@login_required
@require_safe
def messages_inbox(request: HttpRequest) -> HttpResponse:
    page = selectors.private_topics(viewer=request.user, cursor=request.GET.get("cursor"))
    context = {
        "topics": page.topics,
        "rows": topic_rows(request, page.topics),
        "next_cursor": page.next_cursor,
    }
    return render(request, "forum/messages.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def new_message(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PrivateMessageForm(request.POST)
        if form.is_valid():
            names = form.cleaned_data["recipients"].replace("，", ",").split(",")
            try:
                found = services.resolve_recipients(author=request.user, names=names)
                created = services.create_private_topic(
                    author=request.user,
                    recipients=found,
                    title=form.cleaned_data["title"],
                    raw=form.cleaned_data["raw"],
                )
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                return redirect(created.get_absolute_url())
    else:
        form = PrivateMessageForm(initial={"recipients": request.GET.get("to", "")})
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "forum/new_message.html", {"form": form}, status=status)


def home(request: HttpRequest) -> HttpResponse:
    """The front page: what Agora is (for visitors), the latest topics and the categories."""
    from agora.accounts import selectors as account_selectors
    from agora.challenges.selectors import featured_winners as contest_winners
    from agora.core.selectors import whats_alive
    from agora.gallery.selectors import viewer_level

    access = permissions.get_access(request)
    pinned = selectors.pinned_topics(
        viewer=request.user, access=access, category=None, authors=False
    )
    topics = selectors.latest_topics(
        viewer=request.user,
        access=access,
        limit=15,
        exclude_ids=[t.id for t in pinned],
        authors=False,
    ).topics
    context = {
        "topics": topics,
        "trending_topics": selectors.trending_topics(viewer=request.user, access=access),
        "rows": topic_rows(request, [*pinned, *topics]),
        "pinned": pinned,
        "categories": [c for c in access.visible_categories() if c.parent_id is None],
        "newest_members": account_selectors.newest_members(limit=8),
        "suggested_requests": [],
        "alive": whats_alive(viewer=request.user),
        "viewer_level": viewer_level(request.user),
        "contest_winners": contest_winners(),
    }
    if request.user.is_authenticated:
        from agora.showcase.selectors import suggested_requests

        context["suggested_requests"] = suggested_requests(member=request.user)
    return render(request, "core/home.html", context)
