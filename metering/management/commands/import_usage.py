"""manage.py import_usage FILE [--format csv|ndjson]: load usage events from a file, exactly once."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing import tenancy
from billing.context import Actor, acting_as
from billing.errors import ValidationFailed
from metering.services import usage_file_import

MAX_REPORTED = 50


class Command(BaseCommand):
    help = "Import usage events from a CSV or NDJSON file (safe to run again: stored lines count once)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the file, or - for standard input.")
        parser.add_argument("--format", choices=["csv", "ndjson"], help="Default: from the file extension.")

    def handle(self, *args, file, format=None, **options):
        file_format = format or ("csv" if file.lower().endswith(".csv") else "ndjson")
        if file != "-" and not Path(file).is_file():
            raise CommandError(f"No such file: {file}")
        stream = sys.stdin if file == "-" else open(file, encoding="utf-8", newline="")  # noqa: SIM115
        try:
            with tenancy.operator_scope(), acting_as(Actor(type="system", id="import_usage", label="import_usage")):
                report = usage_file_import(lines=stream, file_format=file_format, source=Path(file).name)
        except ValidationFailed as exc:
            raise CommandError(str(exc.fields)) from exc
        finally:
            if stream is not sys.stdin:
                stream.close()
        for line, field, reason in report.rejected[:MAX_REPORTED]:
            self.stderr.write(f"line {line}: {field}: {reason}")
        if len(report.rejected) > MAX_REPORTED:
            self.stderr.write(f"... and {len(report.rejected) - MAX_REPORTED} more rejected lines")
        self.stdout.write(f"{report.lines} lines: {report.accepted} accepted, {report.duplicates} duplicates, "
                          f"{len(report.rejected)} rejected")
