"""Flags for every member; the review queue, topic state, moves and restores for staff, through
the forum's and moderation's services (which check who may)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from agora.api.auth import require
from agora.api.errors import ERRORS, ApiError
from agora.api.routers.forum import _id, _topic_detail, post_out
from agora.api.schemas import (
    FlagIn,
    FlagOut,
    MoveIn,
    PostOut,
    ResolveIn,
    ResolveOut,
    ReviewItemOut,
    StaffActionOut,
    TopicDetailOut,
    TopicStateIn,
    member_ref,
    page_of,
)
from agora.forum import permissions, selectors, services
from agora.forum.models import Post
from agora.moderation import selectors as moderation_selectors
from agora.moderation import services as moderation_services

router = Router(tags=["moderation"])
ReviewPage = page_of(ReviewItemOut)
StaffActionPage = page_of(StaffActionOut)
DECISIONS = {"agree", "agree_delete", "disagree"}


def flag_out(flag) -> dict:
    return {
        "id": flag.id,
        "post_id": flag.post_id,
        "reason": flag.reason,
        "message": flag.message,
        "user": member_ref(flag.user),
        "created_at": flag.created_at,
    }


def _staff(user) -> None:
    if not permissions.can_moderate(user):
        raise PermissionDenied(_("Only staff can review flags."))


@router.post("/posts/{post_id}/flags", response={201: FlagOut, **ERRORS})
def flag_post(request: HttpRequest, post_id: int, payload: FlagIn):
    """Flag a post for the moderators. Enough flags from trusted members (or one from staff)
    hide it until reviewed."""
    user = require(request, "write")
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    flag = moderation_services.flag_post(
        user=user, post=post, reason=payload.reason, message=payload.message
    )
    return Status(201, flag_out(flag))


@router.post("/posts/{post_id}/restore", response={200: PostOut, **ERRORS})
def restore_post(request: HttpRequest, post_id: int):
    """Staff: bring back a deleted post (its topic too, for a first post)."""
    user = require(request, "write")
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    services.restore_post(actor=user, post=post)
    return post_out(Post.objects.select_related("author", "topic").get(pk=post.pk), user)


@router.post("/topics/{topic_id}/state", response={200: TopicDetailOut, **ERRORS})
def set_topic_state(request: HttpRequest, topic_id: int, payload: TopicStateIn):
    """Staff: close or open a topic, pin or unpin it in its category or site-wide."""
    user = require(request, "write")
    access = permissions.get_access(request)
    topic = selectors.get_topic_for_viewer(topic_id=_id(topic_id), viewer=user, access=access)
    services.set_topic_state(actor=user, topic=topic, **payload.model_dump(exclude_none=True))
    topic = selectors.get_topic_for_viewer(topic_id=topic.id, viewer=user, access=access)
    return _topic_detail(topic, user, access)


@router.post("/topics/{topic_id}/move", response={200: TopicDetailOut, **ERRORS})
def move_topic(request: HttpRequest, topic_id: int, payload: MoveIn):
    """Staff: move a topic to another category (by slug)."""
    user = require(request, "write")
    access = permissions.get_access(request)
    topic = selectors.get_topic_for_viewer(topic_id=_id(topic_id), viewer=user, access=access)
    _staff(user)
    target = selectors.get_category_for_viewer(slug=payload.category, access=access)
    services.move_topic(actor=user, topic=topic, category=target)
    topic = selectors.get_topic_for_viewer(topic_id=topic.id, viewer=user, access=access)
    return _topic_detail(topic, user, access)


@router.get("/review-queue", response={200: ReviewPage, **ERRORS})
def review_queue(request: HttpRequest, cursor: str | None = None):
    """Staff: posts with pending flags, most flagged first; 50 a page."""
    user = require(request, "read")
    _staff(user)
    rows, next_cursor = moderation_selectors.review_queue(cursor=cursor)
    return {
        "items": [
            {
                "post": post_out(post, user),
                "pending_flags": post.pending_flags,
                "flags": [flag_out(f) for f in post.open_flags],
            }
            for post in rows
        ],
        "next_cursor": next_cursor,
    }


@router.post("/review-queue/{post_id}", response={200: ResolveOut, **ERRORS})
def resolve_flags(request: HttpRequest, post_id: int, payload: ResolveIn):
    """Staff: `agree` keeps the post hidden, `agree_delete` also deletes it, `disagree` clears
    the flags and shows it again."""
    user = require(request, "write")
    _staff(user)
    if payload.decision not in DECISIONS:
        raise ApiError(
            400,
            "invalid",
            _("Unknown action."),
            details={
                "decision": [_("Unknown action.") + " (" + ", ".join(sorted(DECISIONS)) + ")"]
            },
        )
    post = Post.objects.filter(pk=_id(post_id)).first()
    if post is None:
        raise Http404("No such post")
    moderation_services.resolve_flags(
        actor=user,
        post=post,
        agree=payload.decision != "disagree",
        delete=payload.decision == "agree_delete",
    )
    return {"post": post_out(Post.objects.select_related("author", "topic").get(pk=post.pk), user)}


@router.get("/staff-log", response={200: StaffActionPage, **ERRORS})
def staff_log(request: HttpRequest, cursor: str | None = None):
    """Staff: staff actions, newest first; 50 a page."""
    user = require(request, "read")
    _staff(user)
    rows, next_cursor = moderation_selectors.staff_log(cursor=cursor)
    return {
        "items": [
            {
                "id": a.id,
                "actor": member_ref(a.actor),
                "action": a.action,
                "topic_id": a.topic_id,
                "post_id": a.post_id,
                "details": a.details if isinstance(a.details, dict) else {"value": a.details},
                "created_at": a.created_at,
            }
            for a in rows
        ],
        "next_cursor": next_cursor,
    }
