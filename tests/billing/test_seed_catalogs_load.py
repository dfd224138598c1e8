"""The example catalogs reproduce the seed documents' plans, limits and overage prices exactly."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from billing.models import Plan, PlanVersion
from billing.selectors import entitlements_for, plan_terms_for
from billing.services import subscription_create
from billing.services.catalog_loader import catalog_load, read_catalog_file
from pricing import Tier

pytestmark = pytest.mark.django_db
CATALOGS = Path(__file__).resolve().parents[2] / "examples" / "catalogs"


def load(name):
    call_command("load_catalog", str(CATALOGS / name), stdout=io.StringIO())


def terms(code, make_account, quantity=1):
    sub = subscription_create(account=make_account(), plan=Plan.objects.get(code=code), quantity=quantity)
    limits = {e.metric_code: e for e in entitlements_for(account_id=sub.account_id)}
    return plan_terms_for(sub), limits


def test_seed_002_free_standard_enterprise(operator, make_account):
    load("002_ai_platform.yaml")
    free, limits = terms("free", make_account, quantity=3)
    assert (free.flat_amount, free.included_seats) == (0, 3)
    assert Plan.objects.get(code="free").current_version.max_seats == 3
    assert {k: (v.included, v.cap_mode, v.overage_allowed) for k, v in limits.items()} == {
        "llm_tokens": (10_000, "soft", False), "agent_executions": (100, "soft", False),
        "api_calls": (1_000, "soft", False), "storage_gb": (1, "hard", False)}
    assert all(e.charge is None and e.alert_thresholds == (80, 100, 120) for e in limits.values())

    standard, limits = terms("standard", make_account, quantity=27)
    assert (standard.flat_amount, standard.seat_amount, standard.included_seats) == (9_900, 500, 25)
    assert standard.recurring_amount == 9_900 + 2 * 500
    overage = {k: (v.included, v.charge.unit_price, v.charge.block_size, v.charge.free_units)
               for k, v in limits.items()}
    assert overage == {
        "llm_tokens": (1_000_000, Decimal("0.01"), 1000, 1_000_000),
        "agent_executions": (5_000, Decimal("0.10"), 1, 5_000),
        "api_calls": (100_000, Decimal("0.001"), 1, 100_000),
        "storage_gb": (100, Decimal("0.50"), 1, 100)}

    enterprise, limits = terms("enterprise", make_account, quantity=500)
    assert (enterprise.flat_amount, enterprise.included_seats, enterprise.recurring_amount) == (49_900, -1, 49_900)
    assert {k: (v.included, v.charge.unit_price) for k, v in limits.items()} == {
        "llm_tokens": (10_000_000, Decimal("0.005")), "agent_executions": (50_000, Decimal("0.05")),
        "api_calls": (1_000_000, Decimal("0.0005")), "storage_gb": (1_000, Decimal("0.25"))}


def test_seed_001_tier_map_limits_and_overage(operator, make_account):
    load("001_ad_platform.yaml")
    expected = {"adp-starter": (1_000_000, 100_000, 50), "adp-growth": (10_000_000, 1_000_000, 500),
                "adp-scale": (50_000_000, 5_000_000, 2_500), "adp-enterprise": (100_000_000, 10_000_000, 5_000)}
    for code, (impressions, api_calls, data_gb) in expected.items():
        _, limits = terms(code, make_account)
        assert (limits["impressions"].included, limits["api_calls"].included,
                limits["data_transfer_gb"].included) == (impressions, api_calls, data_gb)
        assert (limits["impressions"].charge.unit_price, limits["impressions"].charge.block_size) == (
            Decimal("0.50"), 1000)
        assert (limits["api_calls"].charge.unit_price, limits["api_calls"].charge.block_size) == (
            Decimal("0.10"), 1000)
        assert (limits["data_transfer_gb"].charge.unit_price, limits["data_transfer_gb"].charge.block_size) == (
            Decimal("0.05"), 1)


def test_seed_004_prices_limits_and_volume_tiers(operator, make_account):
    load("004_data_mesh.json")
    expected = {"dm-free": (0, 10_000, 1, 1, 1), "dm-starter": (9_900, 1_000_000, 50, 100, 5),
                "dm-professional": (49_900, 10_000_000, 500, 1_000, 25),
                "dm-enterprise": (249_900, 100_000_000, 5_000, 10_000, -1)}
    for code, (flat, api_calls, storage, transfer, adapters) in expected.items():
        plan_terms, limits = terms(code, make_account)
        assert plan_terms.flat_amount == flat
        assert [limits[m].included for m in ("api_calls", "storage_gb", "transfer_gb", "adapters")] == [
            api_calls, storage, transfer, adapters]
        assert limits["adapters"].cap_mode == "hard"
    starter, limits = terms("dm-starter", make_account)
    assert starter.seat_amount == 4_900
    api = limits["api_calls"].charge
    assert (api.model, api.block_size, api.tiers[0], api.tiers[-1]) == (
        "graduated", 1000, Tier(10_000_000, Decimal("0.01"), 0), Tier(None, Decimal("0.000001"), 0))
    assert limits["storage_gb"].charge.tiers == (Tier(1000, Decimal("0.50"), 0), Tier(None, Decimal("0.10"), 0))
    assert terms("dm-enterprise", make_account)[0].seat_amount == 19_900
    _, free_limits = terms("dm-free", make_account)
    assert not any(e.overage_allowed for e in free_limits.values())


def test_loading_again_changes_nothing_and_an_edit_makes_a_version_when_subscribed(operator, make_account):
    data = read_catalog_file(CATALOGS / "002_ai_platform.yaml")
    catalog_load(data=data)
    report = catalog_load(data=data)
    assert set(report.plans_unchanged) == {"free", "standard", "enterprise"} and not report.plans_updated
    subscription_create(account=make_account(), plan=Plan.objects.get(code="standard"))
    data["plans"][1]["price"] = "109.00"
    report = catalog_load(data=data)
    assert report.plans_updated == ["standard"]
    assert PlanVersion.objects.filter(plan__code="standard").count() == 2
