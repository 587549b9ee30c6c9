"""Create the admin account and the demo community on an empty database; safe to run again.

Each app that has something to show adds a ``demo.py`` with ``seed(*, out) -> None``; they run
in INSTALLED_APPS order, so later features build on earlier ones (members before topics)."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Seed the admin account and demo content (only what is missing)."

    def handle(self, *args, **options) -> None:
        for config in apps.get_app_configs():
            if not config.name.startswith("agora."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(out=self.stdout)
        from agora.core.tasks import optimize_database

        optimize_database()  # fresh planner statistics for SQLite
