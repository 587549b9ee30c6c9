from django.core.management.base import BaseCommand, CommandError

from agora.search import services
from agora.search.registry import KINDS


class Command(BaseCommand):
    help = "Rebuild the search index from scratch (all kinds, or those named)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kinds", nargs="*", metavar="KIND", help=", ".join(KINDS))

    def handle(self, *args, kinds: list[str], **options) -> None:
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise CommandError(
                f"Unknown kinds: {', '.join(sorted(unknown))}. Known: {', '.join(KINDS)}"
            )
        services.rebuild(kinds=kinds or None, out=self.stdout)
