"""The COPY payload of a batch: one unescaped pass when safe, per-field escaping otherwise."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from metering.ingest.validate import Row
from metering.ingest.writer import _escaped, copy_text

AT = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _row(index, key="k", properties='{"model":"gpt-4"}', value=None):
    return Row(index, 1, 2, "calls", AT, key, value, properties, Decimal(1), True)


NULL = "\\N"


def _escaped_everywhere(rows):
    return "".join(
        f"{r.index}\t{r.account_id}\t{r.metric_id}\t{r.timestamp.isoformat()}\t{_escaped(r.idempotency_key)}\t"
        f"{NULL if r.value is None else r.value}\t{_escaped(r.properties)}\n" for r in rows).encode()


def test_a_plain_batch_is_written_as_is_with_the_request_index_as_seq():
    rows = [_row(3, "a"), _row(7, "b", value=Decimal("1.5"))]
    assert copy_text(rows) == (
        b'3\t1\t2\t2026-11-21T10:00:00+00:00\ta\t\\N\t{"model":"gpt-4"}\n'
        b'7\t1\t2\t2026-11-21T10:00:00+00:00\tb\t1.5\t{"model":"gpt-4"}\n')


@pytest.mark.parametrize("odd", ["tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N"])
def test_one_key_needing_escapes_among_plain_ones_escapes_the_batch(odd):
    rows = [_row(0, "plain"), _row(1, odd), _row(2, "other", value=Decimal(2))]
    assert copy_text(rows) == _escaped_everywhere(rows)
    assert b"\\N\t" in copy_text(rows)  # the NULL marker itself stays unescaped


def test_properties_with_a_backslash_are_escaped():
    rows = [_row(0, properties='{"path":"a\\\\b"}'), _row(1)]
    assert copy_text(rows) == _escaped_everywhere(rows)
    assert b'{"path":"a\\\\\\\\b"}' in copy_text(rows)
