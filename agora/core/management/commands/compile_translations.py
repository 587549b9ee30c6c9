"""Compile agora/locale/*/LC_MESSAGES/*.po into .mo with Babel, so no gettext install is needed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def compile_all(locale_dirs: list[Path]) -> list[Path]:
    written: list[Path] = []
    for locale_dir in locale_dirs:
        for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
            with os.fdopen(fd, "wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=False)
            os.replace(tmp, mo_path)
            written.append(mo_path)
    return written


class Command(BaseCommand):
    help = "Compile the project's translation catalogues (.po -> .mo) without GNU gettext."

    def handle(self, *args, **options) -> None:
        try:
            written = compile_all([Path(p) for p in settings.LOCALE_PATHS])
        except Exception as exc:
            raise CommandError(f"could not compile translations: {exc}") from exc
        for path in written:
            self.stdout.write(f"compiled {path}")
