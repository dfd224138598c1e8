"""`billing_mrr` and `billing_arr` on /metrics read the latest MRR snapshot: the same figure as the
dashboard and the API, changed by the refresh job after a snapshot, never on a scrape."""

import pytest

from analytics.services import mrr_snapshot_take
from billing import tenancy
from billing.services import subscription_create
from billing.tasks import metrics_refresh
from tests.billing.catalog_factories import plan
from tests.helpers import metric_value, metrics_scraped

pytestmark = pytest.mark.django_db


def test_the_gauges_show_the_latest_snapshot(make_account):
    with tenancy.operator_scope():
        subscription_create(account=make_account(), plan=plan("scale", flat=1_200_000, interval="year"))
    metrics_refresh.apply()
    assert metric_value(metrics_scraped(), "billing_mrr", currency="USD") == 0  # no snapshot yet

    with tenancy.operator_scope():
        mrr_snapshot_take()
    assert metric_value(metrics_scraped(), "billing_mrr", currency="USD") == 0  # a scrape computes nothing
    metrics_refresh.apply()
    scraped = metrics_scraped()
    assert metric_value(scraped, "billing_mrr", currency="USD") == 1_000.00  # 12,000.00 a year, in dollars
    assert metric_value(scraped, "billing_arr", currency="USD") == 12_000.00
