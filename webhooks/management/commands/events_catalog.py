"""Print the event catalog as docs/events.md shows it, or write it there (`--write`)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from webhooks.catalog_markdown import catalog_markdown, page_write


class Command(BaseCommand):
    help = "Print the event catalog section of docs/events.md, or write it there with --write."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="rewrite the section in docs/events.md")

    def handle(self, *args, **options):
        if options["write"]:
            page_write(settings.BASE_DIR / "docs" / "events.md")
            self.stdout.write("docs/events.md: catalog written")
        else:
            self.stdout.write(catalog_markdown(), ending="")
