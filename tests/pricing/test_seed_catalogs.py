"""The seed documents' plans, priced to the cent for a month of usage.

The catalog issue ships these plans as files in examples/catalogs/; here the
engine is fed the same terms directly, so the arithmetic is pinned down on its own.
"""

from datetime import UTC, datetime
from decimal import Decimal as D

from pricing import Charge, InvoiceInput, Period, Recurring, price_invoice

NOV = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
DEC = Period(datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def amounts(priced):
    return {(line.kind, line.metric_code): line.amount for line in priced.lines}


def test_seed_002_standard_tier_with_overage_on_every_metric():
    # $99/month; 1M LLM tokens + $0.01/1K; 5K agent executions + $0.10; 100K API calls
    # + $0.001; 100 GB storage + $0.50/GB; 25 seats + $5/seat.
    priced = price_invoice(InvoiceInput(
        currency="USD",
        recurring=Recurring(flat_price=D(99), seat_price=D(5), included_seats=25, seats=30, plan_name="Standard"),
        advance_period=DEC,
        charges=(
            Charge("llm_tokens", "standard", unit_price=D("0.01"), block_size=1000, free_units=1_000_000),
            Charge("agent_executions", "standard", unit_price=D("0.10"), free_units=5_000),
            Charge("api_calls", "standard", unit_price=D("0.001"), free_units=100_000),
            Charge("storage_gb", "standard", unit_price=D("0.50"), free_units=100),
        ),
        usage={("llm_tokens", ""): D(1_250_000), ("agent_executions", ""): D(5_300),
               ("api_calls", ""): D(123_457), ("storage_gb", ""): D("120.5")},
        usage_period=NOV,
    ))
    assert amounts(priced) == {
        ("flat", ""): 9900,
        ("seats", ""): 2500,  # 5 seats beyond 25
        ("usage", "llm_tokens"): 250,  # 250K tokens -> $2.50
        ("usage", "agent_executions"): 3000,  # 300 x $0.10
        ("usage", "api_calls"): 2346,  # 23,457 x $0.001 = $23.457
        ("usage", "storage_gb"): 1025,  # 20.5 GB x $0.50
    }
    assert priced.subtotal == 19021


def test_seed_002_enterprise_tier_halves_the_token_overage():
    priced = price_invoice(InvoiceInput(
        currency="USD", recurring=Recurring(flat_price=D(499), plan_name="Enterprise"), advance_period=DEC,
        charges=(Charge("llm_tokens", "standard", unit_price=D("0.005"), block_size=1000, free_units=10_000_000),
                 Charge("api_calls", "standard", unit_price=D("0.0005"), free_units=1_000_000)),
        usage={("llm_tokens", ""): D(12_345_678), ("api_calls", ""): D(1_000_001)}, usage_period=NOV,
    ))
    # 2,345,678 tokens -> 2,345.678 x $0.005 = $11.72839 -> $11.73; one call over -> $0.0005 -> $0.00
    assert amounts(priced) == {("flat", ""): 49900, ("usage", "llm_tokens"): 1173, ("usage", "api_calls"): 0}


def test_seed_001_growth_overage_per_thousand_and_per_gigabyte():
    # Growth: 10M impressions, 1M API calls, 500 GB; $0.50 per 1000 impressions,
    # $0.10 per 1000 API calls, $0.05 per GB over the limits.
    priced = price_invoice(InvoiceInput(
        currency="USD",
        charges=(Charge("impressions", "standard", unit_price=D("0.50"), block_size=1000, free_units=10_000_000),
                 Charge("api_calls", "standard", unit_price=D("0.10"), block_size=1000, free_units=1_000_000),
                 Charge("data_transfer_gb", "standard", unit_price=D("0.05"), free_units=500)),
        usage={("impressions", ""): D(12_345_999), ("api_calls", ""): D(1_000_999),
               ("data_transfer_gb", ""): D("512.34")},
        usage_period=NOV,
    ))
    assert amounts(priced) == {
        ("usage", "impressions"): 117300,  # 2,345,999 / 1000 x $0.50 = $1,172.9995 -> $1,173.00
        ("usage", "api_calls"): 10,  # 999 / 1000 x $0.10 = $0.0999 -> $0.10
        ("usage", "data_transfer_gb"): 62,  # 12.34 x $0.05 = $0.617 -> $0.62
    }
