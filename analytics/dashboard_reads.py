"""What the finance dashboard shows, read with SQL aggregates (no per-row Python over the invoices).

MRR figures come from the snapshot tables (cheap: one month row per currency, one day's rows per plan);
receivables, collections and operations from each app's own tables through their indexes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Min, Q, Sum

from analytics.models import MrrMonth, MrrSnapshot, SnapshotDay
from analytics.months import month_start, previous_month
from billing.models import OutboxEvent, Plan
from billing.models.outbox import OutboxStatus
from invoicing.models import BillRun, BillRunFailure, Invoice, InvoiceStatus
from payments.models import DunningCase, Payment, ReconciliationRun
from payments.models.dunning import DunningStatus
from payments.models.payments import PaymentStatus
from payments.models.reconciliation import DiscrepancyResolution
from pricing.money import half_up
from webhooks.models import DeliveryStatus, WebhookDelivery

AGING = (("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))
PAYMENT_WINDOW = timedelta(days=30)
NO_FAILURE_CODE = "(none)"
HISTORY_MONTHS = 24


def latest_day() -> date | None:
    return SnapshotDay.objects.order_by("-day").values_list("day", flat=True).first()


def mrr_latest() -> dict[str, int]:
    """MRR per currency on the latest snapshot day (what `billing_mrr` shows)."""
    day = latest_day()
    if day is None:
        return {}
    return dict(MrrSnapshot.objects.filter(day=day).values_list("currency").annotate(Sum("mrr")).order_by())


def months_history(*, currency: str | None = None, first: date | None = None, last: date | None = None
                   ) -> list[MrrMonth]:
    rows = MrrMonth.objects.all()
    if currency:
        rows = rows.filter(currency=currency)
    if first:
        rows = rows.filter(month__gte=month_start(first))
    if last:
        rows = rows.filter(month__lte=month_start(last))
    return list(rows.order_by("currency", "month"))


@dataclass
class CurrencyFigures:
    currency: str
    month: MrrMonth
    history: list[MrrMonth]
    usage_last_month: int = 0
    usage_average: int = 0  # the last three full months'
    usage_month: date | None = None

    @property
    def arr(self) -> int:
        return self.month.mrr * 12

    @property
    def net_retention(self):
        from analytics.rates import net_revenue_retention

        return net_revenue_retention(self.month)

    @property
    def gross_retention(self):
        from analytics.rates import gross_revenue_retention

        return gross_revenue_retention(self.month)


def revenue_figures(today: date) -> list[CurrencyFigures]:
    """Per currency: this month's figures (its latest snapshot), the last 24 months, usage revenue."""
    first = month_start(today)
    for _ in range(HISTORY_MONTHS - 1):
        first = previous_month(first)
    by_currency: dict[str, list[MrrMonth]] = defaultdict(list)
    for row in months_history(first=first, last=today):
        by_currency[row.currency].append(row)
    out = []
    last_full = previous_month(month_start(today))
    for currency, history in sorted(by_currency.items()):
        usage = {row.month: row.usage for row in history}
        trailing = [usage.get(m, 0) for m in (last_full, previous_month(last_full),
                                              previous_month(previous_month(last_full)))]
        out.append(CurrencyFigures(currency=currency, month=history[-1], history=history,
                                   usage_last_month=usage.get(last_full, 0), usage_month=last_full,
                                   usage_average=int(half_up(Decimal(sum(trailing)) / 3))))
    return out


@dataclass(frozen=True)
class PlanCount:
    plan_id: int
    code: str
    name: str
    currency: str
    subscriptions: int
    mrr: int


def paying_by_plan(day: date | None) -> list[PlanCount]:
    """The paying subscriptions per plan on `day`, as the snapshot job counted them (`SnapshotDay.plans`)."""
    if day is None:
        return []
    counted = SnapshotDay.objects.filter(day=day).values_list("plans", flat=True).first() or []
    plans = {p.pk: p for p in Plan.objects.filter(pk__in={row["plan_id"] for row in counted}).only("code", "name")}
    return [PlanCount(row["plan_id"], getattr(plans.get(row["plan_id"]), "code", "?"),
                      getattr(plans.get(row["plan_id"]), "name", "?"), row["currency"], row["subscriptions"],
                      row["mrr"]) for row in sorted(counted, key=lambda row: -row["mrr"])]


@dataclass
class AgingRow:
    currency: str
    cells: list[tuple[str, int, int, date | None, date | None]] = field(default_factory=list)  # name, n, amount, from, to
    open_count: int = 0
    open_amount: int = 0
    overdue_count: int = 0
    overdue_amount: int = 0


def receivables_ranges(today: date) -> list[tuple[str, int | None, int | None, date | None, date | None]]:
    """Each aging bucket's due dates: (name, low, high, due on or after, due on or before)."""
    return [(name, low, high, today - timedelta(days=high) if high is not None else None,
             today - timedelta(days=low) if low is not None else None) for name, low, high in AGING]


def receivables(today: date) -> list[AgingRow]:
    """Open invoices per currency by days past their due date: one aggregate per currency and due date
    (a few hundred rows), put into the buckets here. Counting a column of invoice_open_aging_idx rather
    than the id keeps it an index-only scan."""
    ranges = receivables_ranges(today)
    rows: dict[str, AgingRow] = {}
    for currency, due_date, count, amount in (Invoice.objects.filter(status=InvoiceStatus.OPEN)
                                              .values_list("currency", "due_date")
                                              .annotate(Count("currency"), Sum("amount_due")).order_by()):
        aging = rows.get(currency)
        if aging is None:
            aging = rows[currency] = AgingRow(currency=currency, cells=[[name, 0, 0, since, until]
                                                                        for name, _, _, since, until in ranges])
        late = 0 if due_date is None else (today - due_date).days
        index = next(i for i, (_, low, high, _, _) in enumerate(ranges)
                     if (low is None and late <= 0) or (low is not None and late >= low
                                                         and (high is None or late <= high)))
        aging.cells[index][1] += count
        aging.cells[index][2] += amount
        aging.open_count += count
        aging.open_amount += amount
        if index > 0:
            aging.overdue_count += count
            aging.overdue_amount += amount
    for aging in rows.values():
        aging.cells = [tuple(cell) for cell in aging.cells]
    return [rows[currency] for currency in sorted(rows)]


def accounts_by_overdue(today: date) -> list[tuple[str, int]]:
    """Accounts with open invoices, by how late their oldest unpaid one is (current = none overdue)."""
    sql = f"""
        SELECT CASE WHEN late <= 0 OR late IS NULL THEN 'current' WHEN late <= 30 THEN '1-30'
                    WHEN late <= 60 THEN '31-60' WHEN late <= 90 THEN '61-90' ELSE '90+' END, count(*)
        FROM (SELECT account_id, max(%s::date - due_date) AS late FROM {Invoice._meta.db_table}
              WHERE status = 'open' GROUP BY account_id) AS accounts
        GROUP BY 1"""  # noqa: S608  (the table name from the model)
    with connection.cursor() as cursor:
        cursor.execute(sql, [today])
        found = dict(cursor.fetchall())
    return [(name, found.get(name, 0)) for name, _, _ in AGING]


@dataclass
class Collections:
    attempts: int
    succeeded: int
    failures: list[tuple[str, int]]
    dunning: list[tuple[str, str, int]]  # status, label, count
    dunning_by_retries: list[tuple[int, int]]
    reconciliation: ReconciliationRun | None
    open_discrepancies: int

    @property
    def success_rate(self):
        from decimal import Decimal

        return None if not self.attempts else Decimal(self.succeeded * 100) / Decimal(self.attempts)


def collections(now: datetime) -> Collections:
    since = now - PAYMENT_WINDOW
    settled = Payment.objects.filter(created_at__gte=since).exclude(
        status__in=(PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION, PaymentStatus.CANCELED))
    totals = settled.aggregate(n=Count("id"), ok=Count("id", filter=~Q(status=PaymentStatus.FAILED)))
    failures = list(settled.filter(status=PaymentStatus.FAILED).values_list("failure_code")
                    .annotate(n=Count("id")).order_by("-n")[:10])
    dunning_counts = dict(DunningCase.objects.values_list("status").annotate(Count("id")).order_by())
    dunning = [(value, label, dunning_counts.get(value, 0)) for value, label in DunningStatus.choices]
    by_retries = list(DunningCase.objects.filter(status=DunningStatus.ACTIVE).values_list("retries_done")
                      .annotate(Count("id")).order_by("retries_done"))
    run = ReconciliationRun.objects.order_by("-created_at", "-id").first()
    open_discrepancies = (run.discrepancies.filter(resolution=DiscrepancyResolution.OPEN).count()
                          if run is not None else 0)
    return Collections(totals["n"], totals["ok"], [(code or NO_FAILURE_CODE, n) for code, n in failures], dunning,
                       by_retries, run, open_discrepancies)


@dataclass
class Operations:
    bill_runs: list[BillRun]
    failures_unresolved: int
    outbox: dict
    webhooks: dict
    missed_jobs: list[tuple[str, datetime | None]]
    jobs_known: bool


def operations(now: datetime) -> Operations:
    from analytics.jobs import jobs_missed

    # Only the rows in those states are read (the pending ones through the outbox's own index).
    outbox = OutboxEvent.objects.filter(status__in=(OutboxStatus.PENDING, OutboxStatus.FAILED)).aggregate(
        pending=Count("id", filter=Q(status=OutboxStatus.PENDING)),
        failed=Count("id", filter=Q(status=OutboxStatus.FAILED)),
        oldest=Min("created_at", filter=Q(status=OutboxStatus.PENDING)))
    hooks = WebhookDelivery.objects.filter(status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED)).aggregate(
        pending=Count("id", filter=Q(status=DeliveryStatus.PENDING)),
        failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
        oldest=Min("created_at", filter=Q(status=DeliveryStatus.PENDING)))
    missed, known = jobs_missed(now)
    return Operations(bill_runs=list(BillRun.objects.order_by("-started_at", "-id")[:8]),
                      failures_unresolved=BillRunFailure.objects.filter(resolved_at__isnull=True).count(),
                      outbox=outbox, webhooks=hooks, missed_jobs=missed, jobs_known=known)
