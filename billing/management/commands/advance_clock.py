"""Move the billing clock forward: `manage.py advance_clock 30d` (also 12h, 90m, 1w, 3600s, 3mo).

Then run the periodic jobs once (`--run-jobs`) so renewals, bill runs and dunning
catch up, as beat would. With `--step 1d` the clock moves in steps and the jobs run
after each one, so months of subscriptions (trial notices, renewals, invoices,
dunning) play out in order in seconds: `advance_clock 3mo --step 1d --run-jobs`.

It prints one line per step and one per job run: the job, what it returned (its counts) and how many
emails it sent. Emails still go out through the configured backend, except the console backend
(development), whose bodies would bury those lines: there they are only counted (billing/mail.py).
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
                self._run_jobs()

    def _run_jobs(self) -> None:
        from billing.jobs import periodic_jobs_each
        from billing.mail import counting

        with counting() as mail:
            before = 0
            for name, result in periodic_jobs_each():
                sent, before = mail.sent - before, mail.sent
                emails = f", {sent} email{'s' if sent != 1 else ''} sent" if sent else ""
                self.stdout.write(f"  {name}: {job_outcome(result)}{emails}")


def job_outcome(result) -> str:
    """What a job returned, in a few words: its counts, or its error."""
    if isinstance(result, BaseException):
        return f"failed ({type(result).__name__}: {str(result)[:120]})"
    if result is None:
        return "done"
    if isinstance(result, bool):
        return "done" if result else "nothing to do"
    if isinstance(result, int):
        return f"{result} handled"
    if isinstance(result, dict):
        return ", ".join(f"{key} {value}" for key, value in result.items()) or "nothing to do"
    if isinstance(result, list | tuple):
        return f"{len(result)} handled"
    return str(result)[:120]
