"""The main pages pass the Nu Html Checker (vnu, the W3C validator) without errors, as a visitor
and as a member, in English and Chinese. vnu runs once over all the pages: a JVM start is slow."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from agora.core.tests.main_pages import build_main_pages

VNU = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_main_pages_are_valid_html(db, alice, bob, charlie, staff, settings, tmp_path):
    java = shutil.which("java")
    if not java or not VNU.exists():
        pytest.fail("the validator needs java and node_modules/vnu-jar: run `make assets java`")
    settings.MEDIA_ROOT = tmp_path / "media"
    pages = build_main_pages(alice=alice, bob=bob, charlie=charlie, staff=staff)
    member = Client()
    member.force_login(alice)
    out = tmp_path / "html"
    out.mkdir()
    for state, client in (("visitor", Client()), ("member", member)):
        for language in ("en", "zh-hans"):
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            for name, path in pages.items():
                response = client.get(path, follow=True)
                assert response.status_code == 200, f"{path} as {state}: {response.status_code}"
                (out / f"{name}-{language}-{state}.html").write_bytes(response.content)
    result = subprocess.run(
        [
            java,
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            *sorted(map(str, out.iterdir())),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors: dict[str, str] = {}  # one line per distinct error, naming the first page with it
    for m in messages:
        if m.get("type") == "error":
            extract = m.get("extract", "").strip()[:80]
            errors.setdefault(f"{m['message']} [{extract}]", Path(m.get("url", "")).name)
    assert not errors, f"{len(errors)} errors:\n" + "\n".join(
        f"{page}: {e}" for e, page in errors.items()
    )
