"""Revenue recognition (docs/metrics.md, "Revenue recognition"): each invoice line spread over its
service period by day, computed per request in one SQL statement (no schedule table to keep in step).

- Fees (flat, seats, prorations) and usage are recognized day by day over the line's period: usage in the
  days it was used, even when it is invoiced after them (accrual).
- One-off charges, and lines without a period, are recognized on the invoice's issue date.
- A credit note line reverses the line it credits over that line's days; the days that had already
  passed when the credit note was issued are reversed on its issue date (a cumulative catch-up, as
  ASC 606 / IFRS 15 and Lago do), so a closed month never changes.
- Amounts are net of discounts and tax; draft and void invoices and void credit notes count nothing.
- Recognized through a date is the amount times the share of its days before that date, rounded half
  away from zero once per date for the lines that share the same days, product and issue date (added up
  first: a million lines fall into a few thousand such groups), so their months add up to their amount
  exactly.
- Deferred at a month's end: what was invoiced (issued) by then and is not yet recognized.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection

from analytics.months import month_start, next_month
from invoicing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from pricing.lines import LineKind

COUNTED = ("open", "paid", "uncollectible")
USAGE_KINDS = (LineKind.USAGE.value, LineKind.LATE_USAGE.value)
AT_ISSUE = (LineKind.ONE_OFF.value,)
NO_PRODUCT = ""


@dataclass(frozen=True)
class RecognitionRow:
    month: date
    product: str
    recognized: int
    deferred: int


def _entries_sql(kinds: tuple[str, ...] | None) -> str:
    invoice, line = Invoice._meta.db_table, InvoiceLine._meta.db_table
    note, note_line = CreditNote._meta.db_table, CreditNoteLine._meta.db_table
    kind_filter = "AND l.kind = ANY(%(kinds)s)" if kinds else ""
    # A line's days: its period in UTC dates, [first_day, end_day); at issue: the issue date alone.
    days = """
        CASE WHEN l.kind = ANY(%(at_issue)s) OR l.period_start IS NULL OR l.period_end IS NULL
                  OR (l.period_end AT TIME ZONE 'UTC')::date <= (l.period_start AT TIME ZONE 'UTC')::date
             THEN NULL ELSE (l.period_start AT TIME ZONE 'UTC')::date END AS period_first,
        CASE WHEN l.kind = ANY(%(at_issue)s) OR l.period_start IS NULL OR l.period_end IS NULL
                  OR (l.period_end AT TIME ZONE 'UTC')::date <= (l.period_start AT TIME ZONE 'UTC')::date
             THEN NULL ELSE (l.period_end AT TIME ZONE 'UTC')::date END AS period_end"""
    # The product of the invoice's subscription's plan: joined, not a subquery per line.
    products = """LEFT JOIN billing_subscription s ON s.id = i.subscription_id
                  LEFT JOIN billing_plan pl ON pl.id = s.plan_id LEFT JOIN billing_product p ON p.id = pl.product_id"""
    return f"""
    WITH raw AS (
        SELECT coalesce(p.name, '') AS product,
               (l.amount - l.discount_amount - CASE WHEN l.tax_inclusive THEN l.tax_amount ELSE 0 END)::numeric
                   AS amount,
               coalesce(i.issue_date, (i.finalized_at AT TIME ZONE 'UTC')::date) AS booked_on,
               NULL::date AS catch_up_on, {days}
        FROM {line} l JOIN {invoice} i ON i.id = l.invoice_id {products}
        WHERE i.status = ANY(%(counted)s) AND i.currency = %(currency)s {kind_filter}
        UNION ALL
        SELECT coalesce(p.name, ''),
               -(c.amount - CASE WHEN c.tax_inclusive THEN c.tax_amount ELSE 0 END)::numeric,
               n.issue_date, n.issue_date, {days}
        FROM {note_line} c JOIN {note} n ON n.id = c.credit_note_id JOIN {invoice} i ON i.id = n.invoice_id
             LEFT JOIN {line} l ON l.id = c.invoice_line_id {products}
        WHERE n.status = 'issued' AND n.currency = %(currency)s
              {kind_filter.replace("AND l.kind", "AND l.id IS NOT NULL AND l.kind")}
    ),
    entries AS (
        SELECT product, amount, booked_on, catch_up_on,
               coalesce(period_first, booked_on) AS first_day,
               coalesce(period_end, booked_on + 1) AS end_day
        FROM raw
    ),
    asked AS MATERIALIZED (
        -- Only what can touch the months asked (recognized in them, or deferred at their ends), and the
        -- lines that share their days added up first: one row per product and days, not per line.
        SELECT product, booked_on, catch_up_on, first_day, end_day, sum(amount) AS amount FROM entries
        WHERE end_day > %(first)s::date
              AND (first_day < %(after)s OR booked_on < %(after)s OR catch_up_on < %(after)s)
        GROUP BY product, booked_on, catch_up_on, first_day, end_day
    ),
    months AS (
        SELECT m::date AS month, (m + interval '1 month')::date AS month_end
        FROM generate_series(%(first)s::date, %(last)s::date, interval '1 month') AS m
    ),
    slices AS (
        SELECT months.month, e.product, e.amount, e.booked_on, months.month_end,
               -- recognized before each of the month's two bounds (a credit: nothing before its issue date)
               CASE WHEN e.catch_up_on IS NOT NULL AND months.month <= e.catch_up_on THEN 0
                    ELSE round(e.amount * (least(greatest(months.month, e.first_day), e.end_day) - e.first_day)
                               / (e.end_day - e.first_day)) END AS before_start,
               CASE WHEN e.catch_up_on IS NOT NULL AND months.month_end <= e.catch_up_on THEN 0
                    ELSE round(e.amount * (least(greatest(months.month_end, e.first_day), e.end_day) - e.first_day)
                               / (e.end_day - e.first_day)) END AS before_end
        FROM asked e JOIN months
             ON (e.first_day < months.month_end AND e.end_day > months.month)
             OR (e.catch_up_on >= months.month AND e.catch_up_on < months.month_end)
             OR (e.booked_on < months.month_end AND e.end_day > months.month_end)
    )
    """  # noqa: S608  (table names from the models; values are parameters)


def revenue_recognition(*, currency: str, first: date, last: date, kinds: tuple[str, ...] | None = None,
                        by_product: bool = True) -> list[RecognitionRow]:
    """Recognized and deferred revenue per month (and product) from `first`'s month to `last`'s, in
    minor units of `currency`. Months with nothing have no rows."""
    first, last = month_start(first), month_start(last)
    group = "month, product" if by_product else "month"
    product = "product" if by_product else "''"
    sql = _entries_sql(kinds) + f"""
    SELECT month, {product},
           sum(before_end - before_start)::bigint AS recognized,
           sum(CASE WHEN booked_on < month_end THEN amount - before_end ELSE 0 END)::bigint AS deferred
    FROM slices GROUP BY {group} ORDER BY {group}
    """  # noqa: S608  (fixed column lists; values are parameters)
    params = {"currency": currency, "first": first, "last": last, "after": next_month(last), "counted": list(COUNTED),
              "at_issue": list(AT_ISSUE), "kinds": list(kinds or ())}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [RecognitionRow(month, product, recognized, deferred)
                for month, product, recognized, deferred in cursor.fetchall()]


def revenue_by_month(*, currency: str, first: date, last: date, kinds: tuple[str, ...] | None = None
                     ) -> dict[date, RecognitionRow]:
    """Every month from `first` to `last`, products added up; months with nothing show zeros."""
    rows = {row.month: row for row in revenue_recognition(currency=currency, first=first, last=last, kinds=kinds,
                                                          by_product=False)}
    out, month = {}, month_start(first)
    while month <= month_start(last):
        out[month] = rows.get(month, RecognitionRow(month, NO_PRODUCT, 0, 0))
        month = next_month(month)
    return out

