"""Every UI string has a Simplified Chinese translation, and the catalogue covers the sources."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

AGORA = Path(__file__).resolve().parents[2]
PO = AGORA / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_chinese_message_is_translated_and_not_fuzzy():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans")
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_the_catalogue_contains_every_translatable_string_in_the_code(tmp_path):
    """Re-extract the strings into a scratch copy and compare: nothing new may be missing."""
    scratch = tmp_path / "agora"
    shutil.copytree(AGORA, scratch, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--no-obsolete",
        ],
        cwd=scratch,
        check=True,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    with (scratch / "locale/zh_Hans/LC_MESSAGES/django.po").open("rb") as f:
        fresh = {m.id for m in read_po(f) if m.id}
    with PO.open("rb") as f:
        ours = {m.id for m in read_po(f) if m.id}
    assert sorted(map(str, fresh - ours)) == []
