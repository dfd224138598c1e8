"""A renewal draft's usage lines, re-read before it is finalized (late usage of the grace period).

Used by `invoice_finalize` and the set-based finalization alike.
"""

from __future__ import annotations

from collections import defaultdict

from invoicing import adapters
from invoicing.models import Invoice, InvoiceLine, LineKind
from pricing import Period


def refreshable_usage_lines(lines) -> list[InvoiceLine]:
    """The usage lines of a draft that `draft_refresh_usage` re-reads (priced from a charge, with a period)."""
    return [line for line in lines if line.kind == LineKind.USAGE and (line.inputs or {}).get("charge")
            and line.period_start and line.period_end]


def draft_refresh_usage(invoice: Invoice, *, lines: list[InvoiceLine] | None = None, usage_of=None) -> bool:
    """Before a renewal draft is finalized: re-read the usage of its usage lines (late usage that
    landed during the grace period is billed now, not next period). Inside the caller's lock.

    Lines are repriced in place; only a group that appeared (or vanished) adds or removes lines
    (returns True then). The set-based finalization passes the draft's `lines` (ordered by
    position, id) and `usage_of(account_id, metric_codes, period)` answering from usage it read
    for many drafts at once.
    """
    from invoicing.services.drafts import line_row
    from pricing import charge_from_dict, usage_lines

    usage_of = usage_of or adapters.usage_for
    if lines is None:
        lines = invoice.lines.filter(kind=LineKind.USAGE).order_by("position", "id")
    lines = refreshable_usage_lines(lines)
    by_period: dict[tuple, list[InvoiceLine]] = defaultdict(list)
    for line in lines:
        by_period[(line.period_start, line.period_end)].append(line)
    changed, added, removed = [], [], []
    for (start, end), old in by_period.items():
        period = Period(start, end)
        charges = {line.metric_code: charge_from_dict(line.inputs["charge"]) for line in old}
        usage = usage_of(invoice.account_id, list(charges), period)
        existing = {(line.metric_code, line.group_key): line for line in old}
        position = min(line.position for line in old)
        for charge in charges.values():
            for fresh in usage_lines(charge, usage, period, invoice.currency):
                row = line_row(invoice, fresh, position)
                current = existing.pop((fresh.metric_code, fresh.group_key), None)
                if current is None:
                    added.append(row)
                elif current.quantity != row.quantity:
                    current.quantity, current.amount, current.inputs = row.quantity, row.amount, row.inputs
                    changed.append(current)
        removed += [line.pk for line in existing.values()]
    if changed:
        InvoiceLine.objects.bulk_update(changed, ["quantity", "amount", "inputs"])
    if added:
        InvoiceLine.objects.bulk_create(added)
    if removed:
        InvoiceLine.objects.filter(pk__in=removed).delete()
    return bool(added or removed)
