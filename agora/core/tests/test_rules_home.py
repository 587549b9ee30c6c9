"""Every access decision of an app is a function in its permissions.py: outside those files no
code re-derives "owner or staff" or "staff only" from the user's fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agora.core.permissions import is_member, is_owner_or_staff, is_staff

AGORA = Path(__file__).resolve().parents[2]
APPS = ["lab", "gallery", "events", "learn", "showcase", "accounts", "api", "core"]
# reading the flag to describe a member (admin columns, the API's account schema) is no decision
DESCRIBES = {"accounts/admin.py", "api/schemas.py", "api/routers/account.py"}
STAFF_FLAG = re.compile(r"\.is_staff\b(?!\s*\()")  # the flag read, not a permissions call


def _sources():
    for app in APPS:
        for path in sorted((AGORA / app).rglob("*.py")):
            relative = path.relative_to(AGORA).as_posix()
            if "/tests/" in relative or "/migrations/" in relative or relative in DESCRIBES:
                continue
            if path.name == "permissions.py":
                continue
            yield relative, path.read_text()


@pytest.mark.parametrize("relative,text", list(_sources()), ids=lambda v: v[:60])
def test_access_rules_live_in_permissions_modules(relative, text):
    assert not STAFF_FLAG.search(text), f"{relative} decides on is_staff; ask permissions.py"


class _User:
    def __init__(self, pk, *, staff=False, authenticated=True):
        self.pk, self.is_staff, self.is_authenticated = pk, staff, authenticated


def test_owner_or_staff():
    assert is_owner_or_staff(_User(1), 1)
    assert is_owner_or_staff(_User(2, staff=True), 1)
    assert not is_owner_or_staff(_User(2), 1)
    assert not is_owner_or_staff(_User(None, staff=True, authenticated=False), None)
    assert not is_owner_or_staff(None, 1)
    assert is_staff(_User(3, staff=True)) and not is_staff(_User(3))
    assert is_member(_User(4)) and not is_member(None)
