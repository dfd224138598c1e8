"""`billing_mrr` and `billing_arr` on /metrics, read from the latest MRR snapshot: MRR is defined once
(analytics/mrr.py) and the gauge shows the same figure as the dashboard and the API."""

from __future__ import annotations

from billing.metric_store import Gauge, refresher

MRR = Gauge("billing_mrr", "Monthly recurring revenue in major units of the currency, from the latest daily "
            "snapshot (docs/metrics.md)", ["currency"])
ARR = Gauge("billing_arr", "Annual recurring revenue (12 x MRR) in major units of the currency", ["currency"])


@refresher
def analytics_gauges() -> dict:
    from analytics.dashboard_reads import mrr_latest
    from pricing.money import to_major

    mrr = mrr_latest()
    return {
        MRR: {(currency,): to_major(amount, currency) for currency, amount in mrr.items()},
        ARR: {(currency,): to_major(amount * 12, currency) for currency, amount in mrr.items()},
    }
