"""Move the billing clock forward: `manage.py advance_clock 30d` (also 12h, 90m, 1w, 3600s, 3mo).

Then run the periodic jobs once (`--run-jobs`) so renewals, bill runs and dunning
catch up, as beat would. With `--step 1d` the clock moves in steps and the jobs run
after each one, so months of subscriptions (trial notices, renewals, invoices,
dunning) play out in order in seconds: `advance_clock 3mo --step 1d --run-jobs`.
"""

import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.core.management.base import BaseCommand, CommandError

from billing import clock, tenancy

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)(mo|[smhdw])", text.strip())
    if not match:
        raise CommandError("Give a duration like 30d, 12h, 90m, 1w, 3600s or 3mo.")
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "mo":  # calendar months from the current billing time
        now = clock.now()
        return (now + relativedelta(months=amount)) - now
    return timedelta(**{UNITS[unit]: amount})


class Command(BaseCommand):
    help = "Advance the simulated billing clock."

    def add_arguments(self, parser):
        parser.add_argument("duration")
        parser.add_argument("--run-jobs", action="store_true", help="run the periodic billing jobs afterwards")
        parser.add_argument("--step", help="advance in steps of this duration (e.g. 1d), running jobs after each")

    def handle(self, duration, run_jobs=False, step=None, **options):
        from billing import conf

        if not conf.settings.BILLING_CLOCK_TRAVEL:
            raise CommandError("Time travel is switched off here (BILLING_CLOCK_TRAVEL=false, the production "
                               "default): it would move every customer's billing clock, for good.")
        with tenancy.operator_scope():
            total = parse_duration(duration)
            step_delta = parse_duration(step) if step else total
        if step_delta <= timedelta(0):
            raise CommandError("The step must be longer than zero.")
        remaining = total
        while remaining > timedelta(0):
            delta = min(step_delta, remaining)
            with tenancy.operator_scope():
                new_now = clock.advance(delta)
            remaining -= delta
            self.stdout.write(f"billing clock now reads {new_now.isoformat()}")
            if run_jobs:
                from billing.jobs import run_periodic_jobs

                for name in run_periodic_jobs():
                    self.stdout.write(f"ran {name}")
