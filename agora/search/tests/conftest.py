from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F

from agora.accounts.models import User
from agora.core.markdown import render
from agora.forum import services as forum
from agora.forum import signals
from agora.forum.models import Access, Category, CategoryGroupAccess, Post, Topic


@pytest.fixture
def lounge(db) -> Category:
    return Category.objects.create(slug="lounge", name="Lounge", name_zh="茶话会")


@pytest.fixture
def qa(db) -> Category:
    return Category.objects.create(slug="qa", name="Q&A", is_question_answer=True)


@pytest.fixture
def secret(db, bob) -> Category:
    """A private category: only the Insiders group (bob) may see it."""
    category = Category.objects.create(slug="secret", name="Secret", everyone_access=Access.NONE)
    insiders = Group.objects.create(name="Insiders")
    bob.groups.add(insiders)
    CategoryGroupAccess.objects.create(category=category, group=insiders, access=Access.CREATE)
    return category


@pytest.fixture
def write(django_capture_on_commit_callbacks) -> Callable[..., Topic]:
    """Start a topic through the forum service and let the on-commit indexing run."""

    def write(author: User, category: Category, title: str, raw: str, **kwargs) -> Topic:
        with django_capture_on_commit_callbacks(execute=True):
            return forum.create_topic(
                author=author, category=category, title=title, raw=raw, **kwargs
            )

    return write


@pytest.fixture
def reply(django_capture_on_commit_callbacks) -> Callable[..., Post]:
    """A reply as forum.create_post writes it. Not through create_post itself: it locks the topic
    with select_related("category"), which PostgreSQL refuses ("FOR UPDATE cannot be applied to
    the nullable side of an outer join"), a forum bug reported separately."""

    def reply(author: User, topic: Topic, raw: str) -> Post:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            number = Topic.objects.get(pk=topic.pk).highest_post_number + 1
            post = Post.objects.create(
                topic=topic, number=number, author=author, raw=raw, html=render(raw)
            )
            Topic.objects.filter(pk=topic.pk).update(
                highest_post_number=number, post_count=F("post_count") + 1
            )
            transaction.on_commit(lambda: signals.post_created.send(sender=Post, post_id=post.id))
        return post

    return reply
