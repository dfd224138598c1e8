"""The ledger check: does each account's balance, as the console and the API report it, add up?

`account_balance` (invoicing/balance.py) reads the running figures: each invoice's amount due and
the credit balance. This check derives the same figures again from the entries alone (invoice
totals, the credit each consumed, the credit notes, the payments recorded on it, chargebacks, the
credit ledger) and compares; and it checks the two paper trails that join payments to invoices:
every payment that succeeded was applied (to invoices, or as credit), and every refund is
documented by a refund credit note. Any difference is recorded once per account and difference
(`LedgerDifference`, unique by fingerprint) and finance is alerted once (the event's email).

The daily job checks every account, each in a transaction of its own: safe to kill and to rerun.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from billing import clock
from billing.audit import audit_record, snapshot
from billing.models import Account, CreditEntry, CreditKind
from billing.outbox import event_record
from invoicing.balance import account_balance
from invoicing.models import (
    CreditMethod,
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoicePayment,
    InvoiceStatus,
)
from invoicing.services.transitions import credit_reference
from payments.models import COLLECTED_STATUSES, LedgerDifference, Payment, Refund, RefundStatus

from .refund_notes import CREDIT_BACK_PREFIX, DISPUTE_PREFIX

logger = logging.getLogger(__name__)

LEDGER_DIFFERENCE_FOUND = "billing.ledger.difference_found"
BUCKET = {InvoiceStatus.OPEN: "due", InvoiceStatus.DISPUTED: "due", InvoiceStatus.UNCOLLECTIBLE: "written_off"}


def _by(rows, key: str, value: str = "total") -> dict:
    return {row[key]: row[value] or 0 for row in rows}


def _invoices_derived(account_id: int) -> tuple[list[dict], dict]:
    """Each finalized, unvoided invoice's amount due worked out from its entries; and the sums per currency
    and bucket (due, written off) of those derived amounts."""
    invoices = list(Invoice.objects.filter(account_id=account_id).exclude(
        status__in=(InvoiceStatus.DRAFT, InvoiceStatus.VOID)).order_by("id"))
    ids = [i.pk for i in invoices]
    paid = _by(InvoicePayment.objects.filter(invoice_id__in=ids).values("invoice_id")
               .annotate(total=Sum("amount")), "invoice_id")
    credited = _by(CreditNote.objects.filter(invoice_id__in=ids, status=CreditNoteStatus.ISSUED,
                                             credit_method=CreditMethod.AMOUNT_DUE)
                   .values("invoice_id").annotate(total=Sum("total")), "invoice_id")
    reversed_ = _by(Refund.objects.filter(payment__invoice_id__in=ids, status=RefundStatus.SUCCEEDED,
                                          reference__startswith=DISPUTE_PREFIX)
                    .values("payment__invoice_id").annotate(total=Sum("amount")), "payment__invoice_id")
    consumed = _by(CreditEntry.objects.filter(account_id=account_id, reference__startswith="invoicing.invoice:")
                   .filter(kind__in=(CreditKind.CONSUMPTION, CreditKind.REVERSAL))
                   .values("reference").annotate(total=Sum("amount")), "reference")
    found, sums = [], defaultdict(lambda: {"due": 0, "written_off": 0})
    for invoice in invoices:
        derived = (invoice.total + consumed.get(credit_reference(invoice), 0) - credited.get(invoice.pk, 0)
                   - paid.get(invoice.pk, 0) + reversed_.get(invoice.pk, 0))
        if derived != invoice.amount_due:
            found.append({"check": "invoice_amount_due", "invoice_id": invoice.pk, "number": invoice.number,
                          "currency": invoice.currency, "reported": invoice.amount_due, "derived": derived})
        if invoice.status in BUCKET:
            sums[invoice.currency][BUCKET[invoice.status]] += derived
    return found, sums


def _credit_derived(account_id: int) -> dict[str, int]:
    """Per currency: every unexpired grant with what was drawn from it (consumption, expiry, reversal)."""
    now = clock.now()
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    grants = CreditEntry.objects.filter(account_id=account_id, kind=CreditKind.GRANT).filter(live)
    totals: dict[str, int] = defaultdict(int)
    for row in grants.values("currency").annotate(total=Sum("amount")):
        totals[row["currency"]] += row["total"] or 0
    drawn = (CreditEntry.objects.filter(account_id=account_id, grant__in=grants.values("pk"))
             .values("currency").annotate(total=Sum("amount")))
    for row in drawn:
        totals[row["currency"]] += row["total"] or 0
    return totals


def _payments_applied(account_id: int) -> list[dict]:
    """Every collected payment went somewhere: to invoices (InvoicePayment rows under its reference) or to
    the credit balance (a grant under its reference)."""
    found = []
    collected = list(Payment.objects.filter(account_id=account_id, status__in=COLLECTED_STATUSES)
                     .values("pk", "reference", "amount", "currency", "invoice_id"))
    refs = [p["reference"] for p in collected]
    applied = _by(InvoicePayment.objects.filter(account_id=account_id, reference__in=refs).values("reference")
                  .annotate(total=Sum("amount")), "reference")
    granted = _by(CreditEntry.objects.filter(account_id=account_id, kind=CreditKind.GRANT, reference__in=refs)
                  .values("reference").annotate(total=Sum("amount")), "reference")
    for p in collected:
        went = applied.get(p["reference"], 0) + granted.get(p["reference"], 0)
        if went != p["amount"]:
            found.append({"check": "payment_applied", "payment_id": p["pk"], "invoice_id": p["invoice_id"],
                          "currency": p["currency"], "reported": went, "derived": p["amount"]})
    return found


def _refunds_documented(account_id: int) -> list[dict]:
    """What was paid back on an invoice (refunds that succeeded, or are under way for a credit note) equals its
    refund credit notes: the invoice, its credit notes and the money agree."""
    refunds = (Refund.objects.filter(account_id=account_id).exclude(reference__startswith=DISPUTE_PREFIX)
               .filter(Q(status=RefundStatus.SUCCEEDED) | Q(status=RefundStatus.PENDING, credit_note_id__isnull=False))
               .values("payment__invoice_id").annotate(total=Sum("amount")))
    money = _by(refunds, "payment__invoice_id")
    notes = defaultdict(int, _by(CreditNote.objects.filter(account_id=account_id, status=CreditNoteStatus.ISSUED,
                                                          credit_method=CreditMethod.REFUND)
                                 .values("invoice_id").annotate(total=Sum("total")), "invoice_id"))
    # Refunds of money that had become credit are documented by drawing that credit back.
    drawn_back = CreditEntry.objects.filter(account_id=account_id, kind=CreditKind.CONSUMPTION,
                                            reference__startswith=CREDIT_BACK_PREFIX).values_list("reference", "amount")
    invoice_of = dict(Payment.objects.filter(account_id=account_id).values_list("pk", "invoice_id"))
    for reference, amount in drawn_back:
        payment_pk = int(reference[len(CREDIT_BACK_PREFIX):].split(":")[0])
        notes[invoice_of.get(payment_pk)] -= amount
    differing = sorted(pk for pk in set(money) | set(notes) if money.get(pk, 0) != notes.get(pk, 0))
    currencies = dict(Invoice.objects.filter(pk__in=differing).values_list("pk", "currency"))
    return [{"check": "refund_documented", "invoice_id": pk, "currency": currencies.get(pk, ""),
             "reported": notes.get(pk, 0), "derived": money.get(pk, 0)} for pk in differing]


def ledger_differences(*, account_id: int) -> list[dict]:
    """Every way the account's reported balance and its entries disagree (empty: it adds up)."""
    found, derived_due = _invoices_derived(account_id)
    derived_credit = _credit_derived(account_id)
    reported = account_balance(account_id=account_id)
    for currency in sorted(set(reported) | set(derived_due) | set(derived_credit)):
        shown = reported.get(currency)
        pairs = {"due": (shown.due if shown else 0, derived_due[currency]["due"] if currency in derived_due else 0),
                 "written_off": (shown.written_off if shown else 0,
                                 derived_due[currency]["written_off"] if currency in derived_due else 0),
                 "credit": (shown.credit if shown else 0, derived_credit.get(currency, 0))}
        for name, (was, should) in pairs.items():
            if was != should:
                found.append({"check": f"balance_{name}", "currency": currency, "reported": was, "derived": should})
    return found + _payments_applied(account_id) + _refunds_documented(account_id)


def _fingerprint(differences: list[dict]) -> str:
    return hashlib.sha256(json.dumps(differences, sort_keys=True, default=str).encode()).hexdigest()


def ledger_check_account(*, account_id: int) -> list[dict]:
    """Check one account; a difference not seen before is recorded and finance alerted (once)."""
    with transaction.atomic():
        differences = ledger_differences(account_id=account_id)
        if not differences:
            return []
        fingerprint = _fingerprint(differences)
        if LedgerDifference.objects.filter(account_id=account_id, fingerprint=fingerprint).exists():
            return differences  # known: finance was told
        try:
            with transaction.atomic():
                row = LedgerDifference.objects.create(account_id=account_id, fingerprint=fingerprint,
                                                      differences=differences, found_at=clock.now())
        except IntegrityError:  # a concurrent check recorded it first
            return differences
        audit_record(action="ledger.difference_found", instance=row, after=snapshot(row))
        event_record(type=LEDGER_DIFFERENCE_FOUND, account_id=account_id, payload={
            "ledger_difference_id": row.pk, "account_id": account_id, "differences": differences})
        logger.warning("payments: the ledger of account %s does not add up: %s", account_id, differences)
        return differences


def ledger_check_daily() -> tuple[int, int]:
    """The beat job: every account that was ever invoiced or credited. Returns (accounts checked, with a
    difference)."""
    invoiced = Invoice.objects.exclude(status=InvoiceStatus.DRAFT).values("account_id")
    credited = CreditEntry.objects.values("account_id")
    ids = list(Account.objects.filter(Q(pk__in=invoiced) | Q(pk__in=credited)).order_by("pk")
               .values_list("pk", flat=True))
    different = sum(1 for pk in ids if ledger_check_account(account_id=pk))
    return len(ids), different
