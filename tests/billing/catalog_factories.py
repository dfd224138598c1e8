"""Small builders for catalog tests (run them inside operator scope)."""

from datetime import UTC, datetime

from billing.models import BillableMetric
from billing.services import plan_create


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def metric(code="api_calls", **kwargs):
    return BillableMetric.objects.get_or_create(code=code, defaults={"name": code.replace("_", " "), **kwargs})[0]


def plan(code="pro", flat=10_000, seat=None, included_seats=1, interval="month", currency="USD", charges=(),
         limits=(), **attrs):
    return plan_create(code=code, name=code.title(), prices={currency: {"flat_amount": flat, "seat_amount": seat}},
                       included_seats=included_seats, interval=interval, charges=list(charges),
                       limits=list(limits), **attrs)
