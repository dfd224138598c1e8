"""Per-event checks after decoding: who, which metric, when, how much, how big.

Every failure names the event's index, the field and the reason; valid events
become `Row`s ready to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import msgspec

from metering import conf

from .decode import EventIn, Rejection
from .lookups import AccountInfo, MetricInfo, accounts_named, metrics_by_code

MAX_VALUE = Decimal(10) ** 20
MAX_DECIMAL_PLACES = 12
_encode = msgspec.json.encode


@dataclass(frozen=True, slots=True)
class Row:
    index: int
    account_id: int
    metric_id: int
    metric_code: str
    timestamp: datetime
    idempotency_key: str
    value: Decimal | None
    properties: str  # JSON text
    quantity: Decimal  # what this event adds to a count/sum quota counter
    counted: bool  # its metric is a count or sum (live quota counters follow it)


@dataclass
class Checked:
    rows: list[Row]
    rejected: list[Rejection]
    metrics: dict[str, MetricInfo]


def check_events(
    events: list[tuple[int, EventIn]], *, key_account_id: int | None, now: datetime,
    closed_before=None,
) -> Checked:
    """Validate decoded events. `key_account_id` None means an operator key (any account).

    `closed_before(account_id)`, when given, is the time before which that account's
    periods are invoiced and late events are refused (METERING_LATE_EVENTS=reject).
    """
    metrics = metrics_by_code({e.metric for _, e in events})
    by_id, by_external = accounts_named(
        {e.account_id for _, e in events if e.account_id is not None},
        {e.external_customer_id for _, e in events if e.external_customer_id is not None},
    )
    oldest, newest = now - conf.acceptance_window(), now + conf.future_tolerance()
    max_properties = conf.get("METERING_MAX_PROPERTIES_BYTES")
    rows, rejected = [], []
    for index, event in events:
        problem = None
        account, problem = _account(event, key_account_id, by_id, by_external)
        metric = None
        if problem is None:
            metric = metrics.get(event.metric)
            if metric is None or not metric.is_active:
                problem = ("metric", f"Unknown metric '{event.metric}'.")
        timestamp = None
        if problem is None:
            timestamp, problem = _timestamp(event.timestamp, now, oldest, newest)
        if problem is None and closed_before is not None and timestamp < (closed_before(account.id) or timestamp):
            problem = ("timestamp", "This period is already invoiced (late events are rejected by configuration).")
        properties_json = b"{}"
        if problem is None and event.properties:
            properties_json = _encode(event.properties)
            if len(properties_json) > max_properties:
                problem = ("properties", f"Too large: {len(properties_json)} bytes, at most {max_properties}.")
        quantity = Decimal(1)
        if problem is None:
            quantity, problem = _quantity(event, metric)
        if problem is not None:
            rejected.append(Rejection(index=index, field=problem[0], reason=problem[1]))
            continue
        rows.append(Row(index, account.id, metric.id, metric.code, timestamp, event.idempotency_key,
                        event.value, properties_json.decode(), quantity, metric.aggregation in ("count", "sum")))
    return Checked(rows=rows, rejected=rejected, metrics=metrics)


def _account(event: EventIn, key_account_id, by_id, by_external) -> tuple[AccountInfo | None, tuple | None]:
    if event.account_id is not None and event.external_customer_id is not None:
        return None, ("account_id", "Give account_id or external_customer_id, not both.")
    if event.account_id is not None:
        field, account = "account_id", by_id.get(event.account_id)
    elif event.external_customer_id is not None:
        field, account = "external_customer_id", by_external.get(event.external_customer_id)
    elif key_account_id is not None:
        return _AccountOfKey(key_account_id), None
    else:
        return None, ("account_id", "Required with an operator key: give account_id or external_customer_id.")
    if account is None or (key_account_id is not None and account.id != key_account_id):
        return None, (field, "Unknown account.")
    if not account.is_active:
        return None, (field, "This account is not active.")
    return account, None


class _AccountOfKey:
    """The API key's own account (known to exist and be usable: the key authenticated)."""

    __slots__ = ("id",)

    def __init__(self, account_id: int):
        self.id = account_id


def _timestamp(raw, now, oldest, newest):
    if raw is None:
        return now, None
    if isinstance(raw, float):
        try:
            raw = datetime.fromtimestamp(raw, UTC)
        except (OverflowError, OSError, ValueError):
            return None, ("timestamp", "Not a valid Unix time.")
    elif raw.tzinfo is None:
        return None, ("timestamp", "Give a UTC offset (e.g. 2026-01-31T12:00:00Z).")
    if raw < oldest:
        days = conf.get("METERING_ACCEPTANCE_WINDOW_DAYS")
        return None, ("timestamp", f"Older than the acceptance window ({days} days).")
    if raw > newest:
        return None, ("timestamp", "More than 5 minutes in the future." if newest - now == conf.future_tolerance()
                      else "Too far in the future.")
    return raw, None


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value)) if isinstance(value, int | float | str) else None
    except InvalidOperation:
        return None
    if number is None or not number.is_finite() or abs(number) >= MAX_VALUE:
        return None
    if number.as_tuple().exponent < -MAX_DECIMAL_PLACES and number.normalize().as_tuple().exponent < -MAX_DECIMAL_PLACES:
        return None
    return number


def _quantity(event: EventIn, metric: MetricInfo) -> tuple[Decimal, tuple | None]:
    if event.value is not None and _number(event.value) is None:
        return Decimal(0), ("value", f"Not a finite number below 1e20 with at most {MAX_DECIMAL_PLACES} decimals.")
    if metric.field_name and metric.aggregation != "count":
        if metric.field_name not in event.properties:
            return Decimal(0), (f"properties.{metric.field_name}", "Required by this metric.")
        if metric.needs_number:
            number = _number(event.properties[metric.field_name])
            if number is None:
                return Decimal(0), (f"properties.{metric.field_name}", "Must be a number.")
            return number, None
        return Decimal(1), None
    if metric.needs_number:
        if event.value is None:
            return Decimal(0), ("value", "Required by this metric.")
        return event.value, None
    return Decimal(1), None
