"""Retention and churn rates of a month (docs/metrics.md, "Rates"), as percentages; None when the month
started with nothing to measure against."""

from __future__ import annotations

from decimal import Decimal

HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_DECIMAL)


def net_revenue_retention(month) -> Decimal | None:
    """What the month's opening MRR became: less churn and contraction, plus expansion (not new)."""
    return _percent(month.mrr_start - month.churned - month.contraction + month.expansion, month.mrr_start)


def gross_revenue_retention(month) -> Decimal | None:
    """What the month's opening MRR kept: less churn and contraction."""
    return _percent(month.mrr_start - month.churned - month.contraction, month.mrr_start)


def revenue_churn_rate(month) -> Decimal | None:
    return _percent(month.churned + month.contraction, month.mrr_start)


def logo_churn_rate(month) -> Decimal | None:
    """Of the accounts paying at the start, the share paying nothing at the end."""
    return _percent(month.customers_churned, month.customers_start)


def trial_conversion_rate(month) -> Decimal | None:
    return _percent(month.trials_converted, month.trials_ended)
