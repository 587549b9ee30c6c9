import pytest
from django.contrib.auth.models import Group

from agora.forum.models import Access, Category, CategoryGroupAccess


@pytest.fixture
def lounge(db) -> Category:
    return Category.objects.create(slug="lounge", name="Lounge")


@pytest.fixture
def secret(db, bob) -> Category:
    """A private category: only the Insiders group (bob) may see it."""
    category = Category.objects.create(slug="secret", name="Secret", everyone_access=Access.NONE)
    insiders = Group.objects.create(name="Insiders")
    bob.groups.add(insiders)
    CategoryGroupAccess.objects.create(category=category, group=insiders, access=Access.CREATE)
    return category
