"""Whatever the ingestion API accepts can be aggregated, shown, quota-checked, priced and put on the
upcoming invoice without a 5xx (hypothesis: generated batches of valid and hostile events, from account
and operator keys), and a period's quantities never go below zero or past the bounds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from billing import clock
from metering.values import LIMIT, MAX_PERIOD_QUANTITY
from pricing.money import MAX_USAGE_AMOUNT
from tests.metering.usage_reads import read_everything, server_errors

pytestmark = [pytest.mark.django_db]
LARGEST = "99999999999999.999999999999"
METRICS = {  # code: (aggregation, extra fields)
    "calls": ("count", {}),
    "tokens": ("sum", {}),
    "llm": ("sum", {"field_name": "tokens", "group_by": ["model"]}),
    "peak": ("max", {}),
    "seats": ("latest", {}),
    "storage": ("weighted_sum", {"field_name": "gb"}),
    "users": ("unique_count", {"field_name": "user_id"}),
}
CHARGES = [
    {"metric": "calls", "currency": "USD", "model": "package", "unit_price": "1.25", "block_size": 100},
    {"metric": "tokens", "currency": "USD", "model": "standard", "unit_price": "0.000001", "free_units": 1000},
    {"metric": "llm", "currency": "USD", "model": "graduated", "tiers": [
        {"up_to": 1000, "unit_price": "0.01", "flat_fee": 5}, {"up_to": None, "unit_price": "999.999999"}]},
    {"metric": "peak", "currency": "USD", "model": "volume", "tiers": [
        {"up_to": 10, "unit_price": "2"}, {"up_to": None, "unit_price": "1"}]},
    {"metric": "seats", "currency": "USD", "model": "standard", "unit_price": "5"},
    {"metric": "storage", "currency": "USD", "model": "standard", "unit_price": "12345678.123456"},
    {"metric": "users", "currency": "USD", "model": "standard", "unit_price": "1"},
]
LIMITS = [{"metric": "tokens", "included": 1000, "cap_mode": "hard"}, {"metric": "calls", "included": 5},
          {"metric": "llm", "included": 10**12, "cap_mode": "soft"}, {"metric": "peak", "included": 3}]

QUANTUM = Decimal("0.000000000001")
USAGE = st.one_of(
    st.decimals(min_value=0, max_value=LIMIT - QUANTUM, places=12).map(str),
    st.integers(0, 10**14 - 1),
    st.sampled_from([LARGEST, "0", "-0", "0.000000000001", "1", "12.5", "1e3", "0e-99", 2.5]),
)
NEGATIVE = st.one_of(st.decimals(min_value=-LIMIT + QUANTUM, max_value=0, places=12).map(str),
                     st.sampled_from(["-" + LARGEST, -1]))
VALID = st.one_of(USAGE, USAGE, USAGE, NEGATIVE)  # negative: a correction (operator keys, sum metrics)
HOSTILE = st.one_of(
    st.sampled_from(["99999999999999999999", "100000000000000", "0.0000000000001", "1_000", "\u0661\u0662", " 5",
                     "1e400", "0e999999", "NaN", "Infinity", "-Infinity", "", True, [], {"n": 1}]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
)
VALUES = st.one_of(VALID, VALID, HOSTILE)


@st.composite
def events(draw):
    """Mostly what the metric takes (valid values of every size, positive or not); one event in four
    hostile (a value where none belongs, numbers out of range, strings PostgreSQL cannot read)."""
    metric = draw(st.sampled_from([*METRICS, "nope"]))
    aggregation, extra = METRICS.get(metric, ("count", {}))
    field = extra.get("field_name")
    hostile = draw(st.integers(0, 3)) == 0
    event = {"metric": metric}
    if (aggregation != "count" and not field) or (hostile and draw(st.booleans())):
        event["value"] = draw(VALUES if hostile else VALID)
    properties = {}
    if field:
        properties[field] = draw(VALUES if hostile else VALID)
    if draw(st.booleans()):
        properties["model"] = draw(st.sampled_from(["a", "b", "", "x" * 50]))
    event["properties"] = properties
    when = draw(st.sampled_from([None, timedelta(0), timedelta(hours=1), timedelta(days=40)]))
    if when is not None:
        event["timestamp"] = (clock.now() - when).isoformat()
    return event, draw(st.sampled_from([1, 1, 1, 3, 1000]))  # the event and how many times it is sent


BATCHES = st.lists(events(), min_size=1, max_size=12)
TAKEN_BACK = ({"metric": "tokens", "value": "-900", "properties": {}}, 1)
THE_ISSUE_S_PAIR = [({"metric": "tokens", "value": "99999999999999999999", "properties": {}}, 1),
                    ({"metric": "tokens", "value": "0.5", "properties": {}}, 1)]
UNREADABLE_BY_POSTGRESQL = ({"metric": "llm", "properties": {"tokens": "1_000", "model": "a"}}, 1)


@pytest.fixture
def catalog(make_metric):
    for code, (aggregation, extra) in METRICS.items():
        make_metric(code, aggregation=aggregation, **extra)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(batch=BATCHES, operator_key=st.booleans())
@example(batch=[TAKEN_BACK], operator_key=False)
@example(batch=THE_ISSUE_S_PAIR, operator_key=False)
@example(batch=[UNREADABLE_BY_POSTGRESQL], operator_key=True)
@example(batch=[({"metric": "tokens", "value": LARGEST, "properties": {}}, 1000)] * 3, operator_key=True)
def test_whatever_ingestion_accepts_can_be_read_checked_and_priced(catalog, subscribe, api_key_for, batch,
                                                                   operator_key):
    from rest_framework.test import APIClient

    account = subscribe(charges=CHARGES, limits=LIMITS)
    key = api_key_for(None if operator_key else account, ["usage:write", "usage:read", "billing:read"])
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    sent = [dict(event, idempotency_key=f"e{n}-{i}", **({"account_id": account.pk} if operator_key else {}))
            for n, (event, times) in enumerate(batch) for i in range(times)]
    for start in range(0, len(sent), 1000):
        response = client.post("/api/v1/usage/events", {"events": sent[start:start + 1000]}, format="json")
        assert response.status_code in (202, 422), response.content

    query = f"?account_id={account.pk}" if operator_key else ""
    answers = read_everything(_Scoped(client, query), account, list(METRICS))
    assert server_errors(answers) == {}
    for row in answers["/api/v1/usage/current"][1]["metrics"]:
        assert 0 <= Decimal(row["usage"]) <= MAX_PERIOD_QUANTITY
        assert all(0 <= Decimal(q) <= MAX_PERIOD_QUANTITY for q in row["groups"].values())
        assert 0 <= row["overage_cost"] <= MAX_USAGE_AMOUNT
    for path, (_, body) in answers.items():
        if path.startswith("quotas/check") and body["limit"] is not None:
            assert 0 <= Decimal(body["remaining"]) <= body["limit"]
        if "upcoming" in path:
            assert all(0 <= line["amount"] <= MAX_USAGE_AMOUNT for line in body["lines"])
            assert body["total"] < 2**63


class _Scoped:
    """The client, naming the account on every read (an operator key must)."""

    def __init__(self, client, query):
        self.client, self.query = client, query

    def get(self, path):
        joiner = "&" if "?" in path else "?"
        return self.client.get(path + (joiner + self.query[1:] if self.query and "upcoming" not in path else ""))

    def post(self, path, data, **kwargs):
        if self.query:
            data = {**data, "account_id": int(self.query.split("=")[1])}
        return self.client.post(path, data, **kwargs)
