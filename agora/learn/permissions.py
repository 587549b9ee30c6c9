from __future__ import annotations

from agora.forum import permissions as forum_permissions
from agora.forum.models import Access, Category


def can_write_article(user) -> bool:
    """Members who may start topics in Tutorials; staff always."""
    if not (user is not None and user.is_authenticated):
        return False
    if forum_permissions.is_staff(user):
        return True
    category = Category.objects.filter(slug="tutorials").first()
    if category is None:
        return False
    return forum_permissions.category_access_for(user).level(category.id) >= Access.CREATE


def can_edit_article(user, article) -> bool:
    if not (user is not None and user.is_authenticated):
        return False
    return user.is_staff or article.authors.filter(pk=user.pk).exists()
