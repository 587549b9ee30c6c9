from __future__ import annotations

from agora.core.permissions import is_member, is_staff
from agora.forum import permissions as forum_permissions
from agora.forum.models import Access, Category


def can_write_article(user) -> bool:
    """Members who may start topics in Tutorials; staff always."""
    if not is_member(user):
        return False
    if is_staff(user):
        return True
    category = Category.objects.filter(slug="tutorials").first()
    if category is None:
        return False
    return forum_permissions.category_access_for(user).level(category.id) >= Access.CREATE


def can_edit_article(user, article) -> bool:
    if not is_member(user):
        return False
    return is_staff(user) or article.authors.filter(pk=user.pk).exists()


def can_add_resource(user) -> bool:
    """Add to the resource library, or mark a resource as used: members."""
    return is_member(user)


def can_compute_widget(user) -> bool:
    """Compute a figure for settings nobody asked before: members (within their quota).
    Visitors see the figures already computed, and the ones a lesson declares."""
    return is_member(user)


def can_declare_widgets(user) -> bool:
    """Whose articles declare their figures' settings, computed for whoever comes first
    without quota: staff, who write the lessons."""
    return is_staff(user)


def can_mark_lesson_done(user) -> bool:
    return is_member(user)


def can_draw_from_work(user, work) -> bool:
    """Use a gallery work as a lesson figure's image (x_0 of the forward process), and see the
    figures drawn from it: whoever may see the work (its author and staff for a private one)."""
    from agora.gallery.permissions import can_see_work

    return can_see_work(user, work)
