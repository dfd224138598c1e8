"""manage.py analytics_backfill --from 2026-01-01 --to 2026-06-30 [--replace]"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing import tenancy
from billing.errors import BillingError


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = ("Take the MRR snapshot of each day in a range that has none yet (rebuilt from the subscriptions' "
            "dates, docs/metrics.md \"Backfill\"), then the month figures; --replace takes them all again.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", required=True, type=_day)
        parser.add_argument("--to", dest="last", required=True, type=_day)
        parser.add_argument("--replace", action="store_true", help="Also replace days already taken.")

    def handle(self, *args, first, last, replace, **options):
        from analytics.services import mrr_snapshots_backfill

        try:
            with tenancy.operator_scope():
                taken = mrr_snapshots_backfill(first=first, last=last, replace=replace)
        except BillingError as error:
            raise CommandError(f"{error.message} {error.fields}") from None
        self.stdout.write(f"{len(taken)} day(s) taken" + (f", {taken[0]} to {taken[-1]}" if taken else ""))
