"""Core asks registries; the apps own their rules. Who may see a file and what the sitemap lists
are declared by each app (its media.py and sitemaps.py), so core imports no app's models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.test import Client

from agora.core import media_access, sitemaps

CORE = Path(media_access.__file__).parent


def _app_imports(module) -> list[str]:
    tree = ast.parse(Path(module.__file__).read_text())
    names = [
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("agora.")
    ]
    return [name for name in names if not name.startswith("agora.core")]


@pytest.mark.parametrize("module", [media_access, sitemaps], ids=lambda m: m.__name__)
def test_core_registries_import_no_app(module):
    assert _app_imports(module) == []


def test_each_app_declares_its_private_folders_and_public_content():
    folders = {rule.folder for rule in media_access._RULES}
    assert folders == {"works/", "lab/", "uploads/", "tmp/"}
    assert set(sitemaps.SITEMAPS) == {
        "categories",
        "topics",
        "profiles",
        "articles",
        "events",
        "works",
    }


@pytest.mark.django_db
def test_a_file_no_rule_declares_under_a_private_folder_is_not_found(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "lab" / "elsewhere").mkdir(parents=True)
    (tmp_path / "lab" / "elsewhere" / "x.png").write_bytes(b"png")
    (tmp_path / "avatars").mkdir()
    (tmp_path / "avatars" / "a.png").write_bytes(b"png")
    client = Client()
    assert client.get("/media/lab/elsewhere/x.png").status_code == 404
    public = client.get("/media/avatars/a.png")
    assert public.status_code == 200 and "public" in public["Cache-Control"]


def test_a_rule_is_registered_with_a_folder():
    with pytest.raises(ValueError):
        media_access.register_media("lab", r"lab/.*", lambda *_: "public")
