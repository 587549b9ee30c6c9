import pytest
from django.contrib.auth.models import Group

from agora.forum.models import Access, Category, CategoryGroupAccess


@pytest.fixture
def lounge(db) -> Category:
    return Category.objects.create(slug="lounge", name="Lounge", name_zh="茶话会")


@pytest.fixture
def qa(db) -> Category:
    return Category.objects.create(slug="qa", name="Q&A", is_question_answer=True)


@pytest.fixture
def announcements(db) -> Category:
    return Category.objects.create(
        slug="announcements", name="Announcements", everyone_access=Access.REPLY
    )


@pytest.fixture
def secret(db, bob) -> Category:
    """A private category: only the Insiders group (bob) may see it."""
    category = Category.objects.create(slug="secret", name="Secret", everyone_access=Access.NONE)
    insiders = Group.objects.create(name="Insiders")
    bob.groups.add(insiders)
    CategoryGroupAccess.objects.create(category=category, group=insiders, access=Access.CREATE)
    return category
