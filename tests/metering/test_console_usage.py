"""The console's usage page: a card per metric in words (name, unit, true percentage, state), the same
figures as GET /api/v1/usage/current, a daily chart, past periods and the per-group breakdown."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import clock, tenancy
from billing.display import Display
from tests.console_world import page_text, signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["owner", "billing_manager", "viewer"])
def test_every_role_reads_a_card_per_metric_by_name_and_unit(world, role):  # noqa: F811
    response = signed_in(world.user(role)).get("/console/usage/")
    assert response.status_code == 200
    text = page_text(response)
    assert "LLM tokens Over the limit 1,100,000 tokens 110% of the 1,000,000 tokens included" in text
    assert "API calls Nearing the limit 80 calls 80% of the 100 calls included" in text
    assert "Data exports Unlimited 3 exports Your plan sets no limit on exports." in text
    assert "llm_tokens" not in text and "api_calls" not in text


def test_the_bar_is_coloured_by_the_share_used_and_says_it_in_words():
    from metering.usage_cards import state_of

    assert [state_of(Decimal(p)) for p in ("0", "74.9", "75", "90", "90.1", "110")] == [
        "ok", "ok", "warn", "warn", "bad", "bad"]
    assert state_of(None) == "unlimited"


def test_the_page_shows_the_figures_of_the_usage_api(world, api_client, api_key_for):  # noqa: F811
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(world.acme, ['usage:read'])}")
    api = {row["metric"]: row for row in api_client.get("/api/v1/usage/current").json()["metrics"]}
    page = signed_in(world.owner).get("/console/usage/")
    cards = {m["card"].code: m["card"] for m in page.context["metrics"]}
    assert set(cards) == set(api) == {"llm_tokens", "api_calls", "exports"}
    d = Display("en")
    text = page_text(page)
    for code, row in api.items():
        card = cards[code]
        assert card.usage == d.number(Decimal(row["usage"]))
        assert card.limit == ("" if row["limit"] is None else d.number(row["limit"]))
        assert card.percent == (None if row["percent_used"] is None else Decimal(row["percent_used"]))
        if row["currency"]:
            assert card.overage_cost == d.money(row["overage_cost"], row["currency"])
            assert card.projected_cost == d.money(row["projected_overage_cost"], row["currency"])
            assert f"Usage charge so far {card.overage_cost}" in text
            assert f"Projected usage charge {card.projected_cost}" in text
    tokens = api["llm_tokens"]
    assert (tokens["usage"], tokens["overage_cost"]) == ("1100000", 200)  # 100,000 over, at $0.02 per 1,000
    assert "Over the limit 100,000 tokens Usage charge so far $2.00" in text


def test_a_grouped_metric_is_broken_down_by_group(world):  # noqa: F811
    text = page_text(signed_in(world.owner).get("/console/usage/"))
    assert "By group Group Tokens model large 800,000 model small 300,000" in text


def test_a_daily_chart_for_the_period_with_the_same_figures_as_a_table(world):  # noqa: F811
    response = signed_in(world.owner).get("/console/usage/")
    tokens = next(m for m in response.context["metrics"] if m["card"].code == "llm_tokens")
    start, end = world.subscription.current_period_start, world.subscription.current_period_end
    days = (end.date() - start.date()).days + (1 if end.time() > end.time().replace(hour=0, minute=0, second=0,
                                                                                    microsecond=0) else 0)
    assert len(tokens["chart"].bars) == days
    assert [bar.height != "0" for bar in tokens["chart"].bars].count(True) == 1
    html = response.content.decode()
    assert 'role="img"' in html and "LLM tokens per day over" in html and "the highest day: 1,100,000 tokens" in html
    assert tokens["days"] == [(Display("en").day(clock.now() - timedelta(hours=1)), "1,100,000")]


def test_a_past_period_is_chosen_and_read_as_billed(world):  # noqa: F811
    client = signed_in(world.owner)
    periods = client.get("/console/usage/").context["periods"]
    assert len(periods) == 2 and periods[0][2] is True  # the current period, then the one billed
    response = client.get(f"/console/usage/?period={periods[1][0]}")
    text = page_text(response)
    assert "Past period:" in text
    assert "LLM tokens Over the limit 1,500,000 tokens 150% of the 1,000,000 tokens included" in text
    assert "model large 1,200,000" in text and "Projected" not in text
    assert "API calls Within the limit 12 calls 12%" in text


def test_an_unknown_period_shows_the_current_one(world):  # noqa: F811
    assert "Current period:" in page_text(signed_in(world.owner).get("/console/usage/?period=1999-01-01"))


def test_another_account_sees_none_of_it(world):  # noqa: F811
    text = page_text(signed_in(world.outsider).get("/console/usage/"))
    assert "1,100,000" not in text and "800,000" not in text


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/console/usage/")
    assert response.status_code == 302 and "/console/login/" in response["Location"]


def test_the_page_reads_a_fixed_number_of_queries_however_many_days_have_usage(world):  # noqa: F811
    from metering.ingest.decode import EventIn
    from metering.services import usage_events_record

    client = signed_in(world.owner)

    def count():
        # The clock pinned: an unpinned one re-reads its offset once a second, a query that comes and goes.
        with clock.frozen(clock.now()), CaptureQueriesContext(connection) as queries:
            assert client.get("/console/usage/").status_code == 200
        return len(queries)

    before = count()
    start = world.subscription.current_period_start
    with tenancy.operator_scope():
        usage_events_record(events=[
            EventIn(metric="api_calls", idempotency_key=f"more-{i}", account_id=world.acme.pk,
                    timestamp=min(start + timedelta(hours=6 * i), clock.now())) for i in range(8)])
    assert count() == before
