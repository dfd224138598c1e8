"""Per-event checks after decoding: who, which metric, when, how much, how big.

Every failure names the event's index, the field and the reason; valid events
become `Row`s ready to write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import msgspec

from billing.api.content import TOO_DEEP, object_too_deep
from metering import conf
from metering.values import DESCRIPTION, usage_value

from .decode import EventIn, Rejection
from .lookups import MetricInfo, batch_facts, filter_text

_encode = msgspec.json.encode


class Row(msgspec.Struct, frozen=True, gc=False):
    """A valid event ready to write (a msgspec Struct: built in C, several times faster than a dataclass)."""

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
    corrections: list[Row] = field(default_factory=list)  # negative quantities (operator keys only)


class _Reject(Exception):
    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason


def check_events(
    events: list[tuple[int, EventIn]], *, key_account_id: int | None, now: datetime,
    closed_before=None,
) -> Checked:
    """Validate decoded events. `key_account_id` None means an operator key (any account).

    `closed_before(account_id)`, when given, is the time before which that account's
    periods are invoiced and late events are refused (METERING_LATE_EVENTS=reject).
    Written for speed: it runs for every event of every batch.
    """
    facts = batch_facts(
        {e.metric for _, e in events},
        {e.account_id for _, e in events if e.account_id is not None},
        {e.external_customer_id for _, e in events if e.external_customer_id is not None},
    )
    metrics, by_id, by_external = facts.metrics, facts.accounts_by_id, facts.accounts_by_external_id
    oldest, newest = now - conf.acceptance_window(), now + conf.future_tolerance()
    max_properties = conf.settings.METERING_MAX_PROPERTIES_BYTES
    accounts: dict[tuple, tuple] = {}
    operator = key_account_id is None
    quantities = {code: _quantity_of(metric, corrections=operator) for code, metric in metrics.items()}
    # Live quota counters follow count and sum metrics, for the events their filters keep.
    counted = {code: (metric.allowed or True) if metric.aggregation in ("count", "sum") else False
               for code, metric in metrics.items()}
    rows, rejected = [], []
    append = rows.append
    for index, event in events:
        try:
            who = (event.account_id, event.external_customer_id)
            resolved = accounts.get(who)
            if resolved is None:
                resolved = accounts[who] = _account(event, key_account_id, by_id, by_external)
            account_id, problem = resolved
            if problem is not None:
                raise _Reject(*problem)
            metric = metrics.get(event.metric)
            if metric is None or not metric.is_active:
                raise _Reject("metric", f"Unknown metric '{event.metric}'.")
            timestamp = _timestamp(event.timestamp, now, oldest, newest)
            if closed_before is not None and timestamp < (closed_before(account_id) or timestamp):
                raise _Reject("timestamp", "This period is already invoiced (late events are rejected by configuration).")
            if "\x00" in event.idempotency_key:
                raise _Reject("idempotency_key", "Must not contain a NUL character.")
            if event.properties:
                try:
                    encoded = _encode(event.properties)
                except RecursionError:  # nested nearly as deep as the stack: refused just below anyway
                    raise _Reject("properties", TOO_DEEP) from None
                if b"\\u0000" in encoded:
                    raise _Reject("properties", "Must not contain a NUL character.")
                if object_too_deep(event.properties, encoded):
                    raise _Reject("properties", TOO_DEEP)
                if len(encoded) > max_properties:
                    raise _Reject("properties", f"Too large: {len(encoded)} bytes, at most {max_properties}.")
                properties = encoded.decode()
            else:
                properties = "{}"
            value, quantity = quantities[metric.code](event)
            counts = counted[metric.code]
            if isinstance(counts, dict):
                counts = all(filter_text(event.properties.get(k)) in v for k, v in counts.items())
            append(Row(index, account_id, metric.id, metric.code, timestamp, event.idempotency_key, value,
                       properties, quantity, counts))
        except _Reject as problem:
            rejected.append(Rejection(index=index, field=problem.field, reason=problem.reason))
    # Only operator keys' batches with a sum metric can hold corrections; no other batch is looked at.
    correctable = operator and any(metric.aggregation == "sum" for metric in metrics.values())
    corrections = [row for row in rows if row.quantity < 0] if correctable else []
    return Checked(rows=rows, rejected=rejected, metrics=metrics, corrections=corrections)


def _account(event: EventIn, key_account_id, by_id, by_external) -> tuple[int | None, tuple | None]:
    if event.account_id is not None and event.external_customer_id is not None:
        return None, ("account_id", "Give account_id or external_customer_id, not both.")
    if event.account_id is not None:
        field, account = "account_id", by_id.get(event.account_id)
    elif event.external_customer_id is not None:
        field, account = "external_customer_id", by_external.get(event.external_customer_id)
    elif key_account_id is not None:
        return key_account_id, None  # the key's own account: it exists, the key authenticated
    else:
        return None, ("account_id", "Required with an operator key: give account_id or external_customer_id.")
    if account is None or (key_account_id is not None and account.id != key_account_id):
        return None, (field, "Unknown account.")
    if not account.is_active:
        return None, (field, "This account is not active.")
    return account.id, None


def _timestamp(raw, now, oldest, newest) -> datetime:
    if raw is None:
        return now
    if type(raw) is float:
        try:
            raw = datetime.fromtimestamp(raw, UTC)
        except (OverflowError, OSError, ValueError):
            raise _Reject("timestamp", "Not a valid Unix time.") from None
    elif raw.tzinfo is None:
        raise _Reject("timestamp", "Give a UTC offset (e.g. 2026-01-31T12:00:00Z).")
    if raw < oldest:
        days = conf.settings.METERING_ACCEPTANCE_WINDOW_DAYS
        raise _Reject("timestamp", f"Older than the acceptance window ({days} days).")
    if raw > newest:
        seconds = int((newest - now).total_seconds())  # METERING_FUTURE_TOLERANCE_SECONDS
        ahead = f"{seconds // 60} minutes" if seconds % 60 == 0 and seconds > 60 else f"{seconds} seconds"
        raise _Reject("timestamp", f"More than {ahead} in the future.")
    return raw


_ONE = Decimal(1)
_NOT_A_VALUE = f"Must be {DESCRIPTION}."
_NOT_A_PROPERTY = f"Must be {DESCRIPTION} (a JSON number, or a decimal string such as \"12.5\")."


def _quantity_of(metric: MetricInfo, *, corrections: bool):
    """A function event -> (the value to store, what the event adds to a count/sum counter).

    It raises _Reject for a value the metric cannot use. A value is taken only by a metric that
    aggregates it (a value dropped without a word would be usage lost); a negative one only as a
    correction: by a `sum` metric, from an operator key (`corrections`).
    """
    if metric.aggregation == "count":
        return _no_value("A count metric counts events and takes no value: send one event per unit.")
    correctable = corrections and metric.aggregation == "sum"
    if metric.field_name:
        return _from_property(metric, correctable)
    return _from_value(metric, correctable)


def _negative(metric: MetricInfo, where: str) -> _Reject:
    if metric.aggregation != "sum":
        return _Reject(where, "Must not be negative.")
    return _Reject(where, "Must not be negative: usage is taken back (corrected) only with an operator key.")


def _no_value(reason: str):
    def counted_once(event):
        if event.value is not None:
            raise _Reject("value", reason)
        return None, _ONE
    return counted_once


def _from_property(metric: MetricInfo, correctable: bool):
    field_name, where = metric.field_name, f"properties.{metric.field_name}"
    unused = f"This metric aggregates {where}, not value: leave value out."
    if not metric.needs_number:  # unique_count: any value of the property
        def present(event):
            if event.value is not None:
                raise _Reject("value", unused)
            if field_name not in event.properties:
                raise _Reject(where, "Required by this metric.")
            return None, _ONE
        return present

    def from_property(event):
        if event.value is not None:
            raise _Reject("value", unused)
        if field_name not in event.properties:
            raise _Reject(where, "Required by this metric.")
        number = usage_value(event.properties[field_name])
        if number is None:
            raise _Reject(where, _NOT_A_PROPERTY)
        if number < 0 and not correctable:
            raise _negative(metric, where)
        return None, number
    return from_property


def _from_value(metric: MetricInfo, correctable: bool):
    required = metric.needs_number

    def from_value(event):
        raw = event.value
        if raw is None:
            if required:
                raise _Reject("value", "Required by this metric.")
            return None, _ONE
        number = usage_value(raw)  # a Decimal, as the writer's binary COPY needs
        if number is None:
            raise _Reject("value", _NOT_A_VALUE)
        if number < 0 and not correctable:
            raise _negative(metric, "value")
        return number, number
    return from_value
