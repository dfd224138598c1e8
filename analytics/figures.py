"""A month's MRR figures, worked out in SQL from two snapshot days (docs/metrics.md, "Movements").

Each subscription's MRR on the month's last snapshot day is set beside its MRR on the last snapshot day
before the month. From zero to more: new, or reactivated when it had paid on some earlier day; from more
to zero: churned; up: expansion; down: contraction. Trials: a subscription trialing on one snapshot day
and not on its next one (within the month) ended its trial; it converted if it then paid.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from analytics.models import MrrSnapshot, SnapshotDay
from analytics.months import month_start, next_month
from analytics.mrr import PAYING
from analytics.recognition import USAGE_KINDS, revenue_by_month

MOVEMENTS_SQL = """
WITH s AS (SELECT subscription_id, account_id, currency, mrr FROM {table} WHERE day = %(start)s),
     e AS (SELECT subscription_id, account_id, currency, mrr FROM {table} WHERE day = %(end)s),
     j AS (
        SELECT coalesce(e.subscription_id, s.subscription_id) AS sid,
               coalesce(e.account_id, s.account_id) AS account, coalesce(e.currency, s.currency) AS currency,
               coalesce(s.mrr, 0) AS m0, coalesce(e.mrr, 0) AS m1
        FROM s FULL JOIN e ON e.subscription_id = s.subscription_id),
     k AS (
        SELECT j.*, (j.m0 = 0 AND j.m1 > 0 AND EXISTS (
                    SELECT 1 FROM {table} p WHERE p.subscription_id = j.sid AND p.day < %(month)s AND p.mrr > 0))
                    AS came_back
        FROM j),
     accounts AS (
        SELECT account, currency, sum(m0) AS a0, sum(m1) AS a1 FROM j GROUP BY account, currency)
SELECT k.currency,
       coalesce(sum(m0), 0), coalesce(sum(m1), 0),
       coalesce(sum(m1) FILTER (WHERE m0 = 0 AND m1 > 0 AND NOT came_back), 0),
       coalesce(sum(m1 - m0) FILTER (WHERE m0 > 0 AND m1 > m0), 0),
       coalesce(sum(m0 - m1) FILTER (WHERE m1 > 0 AND m1 < m0), 0),
       coalesce(sum(m0) FILTER (WHERE m0 > 0 AND m1 = 0), 0),
       coalesce(sum(m1) FILTER (WHERE m0 = 0 AND m1 > 0 AND came_back), 0),
       count(*) FILTER (WHERE m0 = 0 AND m1 > 0 AND NOT came_back),
       count(*) FILTER (WHERE m0 > 0 AND m1 = 0),
       count(*) FILTER (WHERE m0 > 0), count(*) FILTER (WHERE m1 > 0),
       (SELECT count(*) FROM accounts a WHERE a.currency = k.currency AND a.a0 > 0),
       (SELECT count(*) FROM accounts a WHERE a.currency = k.currency AND a.a0 > 0 AND a.a1 = 0)
FROM k GROUP BY k.currency
"""

TRIALS_SQL = """
SELECT currency, count(*), count(*) FILTER (WHERE status = ANY(%(paying)s))
FROM (SELECT subscription_id, currency, status, day,
             lag(status) OVER (PARTITION BY subscription_id ORDER BY day) AS before
      FROM {table}
      WHERE day >= %(from)s AND day <= %(end)s AND subscription_id IN (
          SELECT subscription_id FROM {table} WHERE status = 'trialing' AND day >= %(from)s AND day <= %(end)s)
     ) AS steps
WHERE day >= %(month)s AND before = 'trialing' AND status <> 'trialing'
GROUP BY currency
"""

FIELDS = ("mrr_start", "mrr", "new", "expansion", "contraction", "churned", "reactivated", "new_subscriptions",
          "churned_subscriptions", "paying_start", "paying", "customers_start", "customers_churned")


def month_figures(month: date) -> list[dict]:
    """The month's figures per currency (the keys of `MrrMonth`); none when no day of it was snapshot."""
    month = month_start(month)
    end = (SnapshotDay.objects.filter(day__gte=month, day__lt=next_month(month))
           .order_by("-day").values_list("day", flat=True).first())
    if end is None:
        return []
    start = SnapshotDay.objects.filter(day__lt=month).order_by("-day").values_list("day", flat=True).first()
    table = MrrSnapshot._meta.db_table
    params = {"start": start, "end": end, "month": month, "paying": list(PAYING),
              "from": start or month}
    figures: dict[str, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(MOVEMENTS_SQL.format(table=table), params)
        for currency, *values in cursor.fetchall():
            figures[currency] = {"currency": currency, "as_of": end, **dict(zip(FIELDS, values, strict=True)),
                                 "trials_ended": 0, "trials_converted": 0}
        cursor.execute(TRIALS_SQL.format(table=table), params)
        for currency, ended, converted in cursor.fetchall():
            if currency in figures:
                figures[currency].update(trials_ended=ended, trials_converted=converted)
    for currency, values in figures.items():
        values["usage"] = revenue_by_month(currency=currency, first=month, last=month,
                                           kinds=USAGE_KINDS)[month].recognized
    return list(figures.values())
