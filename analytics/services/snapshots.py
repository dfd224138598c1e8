"""Taking the daily MRR snapshot and deriving the month figures from it (docs/metrics.md).

`mrr_snapshot_take(day=)` writes one row per live subscription for the day, replacing the day's rows in
one transaction, under the day's lock: running it twice gives the same rows, and a run killed halfway
leaves the day as it was. Then it works out the day's month again (and the next month, whose
movements start from this one).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Sum

from analytics.figures import month_figures
from analytics.models import MrrMonth, MrrSnapshot, SnapshotDay, SnapshotSource
from analytics.months import month_start, next_month
from analytics.mrr import PAYING, monthly_recurring, status_on
from analytics.selectors import subscriptions_for_day
from billing import clock
from billing.errors import ValidationFailed
from billing.transitions import row_lock

BATCH = 2_000


@transaction.atomic
def mrr_snapshot_take(*, day: date | None = None) -> SnapshotDay:
    """Snapshot every live subscription's MRR on `day` (default: today, UTC, by the domain clock).

    Today's snapshot reads the subscriptions as they are now; a past day's is rebuilt from their dates
    (`analytics.mrr.status_on`) with today's terms, and says so (`source=backfill`).
    """
    today = clock.now().date()
    day = day or today
    if day > today:
        raise ValidationFailed({"day": [f"{day} is after today ({today}): a snapshot is of a day that has come."]})
    live = day == today
    marker, _ = SnapshotDay.objects.get_or_create(day=day, defaults={"source": SnapshotSource.LIVE,
                                                                     "taken_at": clock.now()})
    marker = row_lock(SnapshotDay, marker)  # one run per day at a time: the second waits, then replaces
    MrrSnapshot.objects.filter(day=day).delete()
    taken = 0
    for chunk in subscriptions_for_day(day):
        rows = []
        for ids, terms, life in chunk:
            status = ids["status"] if live else status_on(life, day)
            if status is None:
                continue
            rows.append(MrrSnapshot(day=day, **{**ids, "status": status}, mrr=monthly_recurring(terms, status)))
        MrrSnapshot.objects.bulk_create(rows, batch_size=BATCH)
        taken += len(rows)
    marker.source = SnapshotSource.LIVE if live else SnapshotSource.BACKFILL
    marker.subscriptions = taken
    marker.plans = [{"plan_id": row["plan_id"], "currency": row["currency"], "subscriptions": row["n"],
                     "mrr": row["mrr"]} for row in MrrSnapshot.objects.filter(day=day, status__in=PAYING)
                    .values("plan_id", "currency").annotate(n=Count("id"), mrr=Sum("mrr")).order_by()]
    marker.taken_at = clock.now()
    marker.save(update_fields=["source", "subscriptions", "plans", "taken_at"])
    month = month_start(day)
    mrr_month_compute(month=month)
    if SnapshotDay.objects.filter(day__gte=next_month(month)).exists():
        mrr_month_compute(month=next_month(month))
    return marker


def mrr_snapshots_backfill(*, first: date, last: date, replace: bool = False) -> list[date]:
    """Snapshot each day from `first` to `last` that has none yet (every one with `replace`); each day in
    a transaction of its own, so a backfill stopped halfway resumes where it stopped."""
    if first > last:
        raise ValidationFailed({"from": [f"{first} is after the last day, {last}."]})
    taken = []
    day = first
    done = set() if replace else set(SnapshotDay.objects.filter(day__range=(first, last))
                                      .values_list("day", flat=True))
    while day <= last:
        if day not in done:
            mrr_snapshot_take(day=day)
            taken.append(day)
        day += timedelta(days=1)
    return taken


@transaction.atomic
def mrr_month_compute(*, month: date) -> list[MrrMonth]:
    """Work out one month's figures per currency again, from its last snapshot day and the last one
    before the month (none: every subscription paying at the end is new or reactivated)."""
    month = month_start(month)
    figures = month_figures(month)
    MrrMonth.objects.filter(month=month).exclude(currency__in=[f["currency"] for f in figures]).delete()
    saved = []
    for values in figures:
        row, _ = MrrMonth.objects.update_or_create(month=month, currency=values.pop("currency"), defaults=values)
        saved.append(row)
    return saved
