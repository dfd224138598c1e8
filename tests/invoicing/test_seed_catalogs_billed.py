"""Each seed catalog (examples/catalogs/) loaded, subscribed to, used and billed: the renewal
invoice to the cent, end to end through the catalog, metering and the bill run."""

from datetime import timedelta
from pathlib import Path

import pytest

from billing import clock
from billing.models import Plan
from billing.services import subscription_create
from billing.services.catalog_loader import catalog_load, read_catalog_file
from invoicing.models import Invoice
from invoicing.services.bill_runs import bill_run_start
from metering.ingest.decode import EventIn
from metering.services.ingestion import usage_events_record
from tests.invoicing.factories import utc

pytestmark = pytest.mark.django_db
CATALOGS = Path(__file__).resolve().parents[2] / "examples" / "catalogs"
START = utc(2026, 3, 1)


def bill(make_account, catalog: str, plan_code: str, seats: int, events: list[tuple[str, dict]]) -> dict:
    catalog_load(data=read_catalog_file(str(CATALOGS / catalog)))
    account = make_account(f"Seed {catalog}")
    with clock.frozen(START):
        sub = subscription_create(account=account, plan=Plan.objects.get(code=plan_code), quantity=seats)
    at = START + timedelta(days=2)
    with clock.frozen(at + timedelta(minutes=1)):
        usage_events_record(events=[EventIn(metric=metric, idempotency_key=f"e{i}", timestamp=at, properties=props,
                                            account_id=account.pk) for i, (metric, props) in enumerate(events)])
    with clock.frozen(sub.current_period_end + timedelta(minutes=1)):
        bill_run_start()
    invoice = Invoice.objects.get(subscription=sub, billing_reason="subscription_cycle")
    return {(line.kind, line.metric_code): line.amount for line in invoice.lines.all()} | {"subtotal": invoice.subtotal}


def test_seed_001_growth(make_account, operator):
    amounts = bill(make_account, "001_ad_platform.yaml", "adp-growth", 1,
                   [("data_transfer_gb", {"gb": 300}), ("data_transfer_gb", {"gb": "212.34"})])
    # 512.34 GB against 500 included: 12.34 x $0.05 = $0.617 -> $0.62; no impressions or calls
    assert amounts[("usage", "data_transfer_gb")] == 62
    assert amounts[("usage", "impressions")] == amounts[("usage", "api_calls")] == 0
    assert amounts["subtotal"] == 62


def test_seed_002_standard(make_account, operator):
    amounts = bill(make_account, "002_ai_platform.yaml", "standard", 30,
                   [("llm_tokens", {"tokens": 1_250_000}), ("storage_gb", {"gb": "120.5"}),
                    ("storage_gb", {"gb": 80})])
    assert amounts[("flat", "")] == 9900
    assert amounts[("seats", "")] == 2500  # 5 seats over 25 at $5
    assert amounts[("usage", "llm_tokens")] == 250  # 250K tokens at $0.01/1K
    assert amounts[("usage", "storage_gb")] == 1025  # max 120.5 GB: 20.5 x $0.50
    assert amounts["subtotal"] == 9900 + 2500 + 250 + 1025


def test_seed_004_starter(make_account, operator):
    amounts = bill(make_account, "004_data_mesh.json", "dm-starter", 3,
                   [("storage_gb", {"gb": 1200}), ("transfer_gb", {"gb": "1000"}), ("transfer_gb", {"gb": "234.5"})])
    assert amounts[("flat", "")] == 9900
    assert amounts[("seats", "")] == 9800  # 2 seats over 1 at $49
    assert amounts[("usage", "storage_gb")] == 51500  # 1,150 over 50: 1,000 x $0.50 + 150 x $0.10
    assert amounts[("usage", "transfer_gb")] == 51345  # 1,134.5 over 100: 1,000 x $0.50 + 134.5 x $0.10
    assert amounts[("usage", "api_calls")] == 0
    assert amounts["subtotal"] == 9900 + 9800 + 51500 + 51345


def test_decimal_quantities_survive_the_trip(make_account, operator):
    amounts = bill(make_account, "004_data_mesh.json", "dm-professional", 1, [("transfer_gb", {"gb": "1000.01"})])
    assert amounts[("usage", "transfer_gb")] == 1  # 0.01 GB over 1,000 at $0.50 = $0.005 -> $0.01
