"""Move the billing clock forward: `manage.py advance_clock 30d` (also 12h, 90m, 1w, 3600s).

Then run the periodic jobs once (`--run-jobs`) so renewals, bill runs and dunning
catch up, as beat would.
"""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from billing import clock, tenancy

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhdw])", text.strip())
    if not match:
        raise CommandError("Give a duration like 30d, 12h, 90m, 1w or 3600s.")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = "Advance the simulated billing clock."

    def add_arguments(self, parser):
        parser.add_argument("duration")
        parser.add_argument("--run-jobs", action="store_true", help="run the periodic billing jobs afterwards")

    def handle(self, duration, run_jobs=False, **options):
        with tenancy.operator_scope():
            new_now = clock.advance(parse_duration(duration))
        self.stdout.write(f"billing clock now reads {new_now.isoformat()}")
        if run_jobs:
            from billing.jobs import run_periodic_jobs

            for name in run_periodic_jobs():
                self.stdout.write(f"ran {name}")
