"""Who may do what with the site's pages: everyone reads them, staff alone edit them."""

from __future__ import annotations

from agora.core.permissions import is_staff


def can_edit_page(user) -> bool:
    return is_staff(user)
