"""The customer credit balance lives in the catalog's ledger (billing.services.customers);
invoicing consumes it at finalization and grants to it from credit notes, here only."""

from __future__ import annotations

from billing.models import Account


def credit_apply(*, account_id: int, currency: str, amount: int, reference: str) -> int:
    """Use up to `amount` of the account's credit; returns what was used (idempotent per reference)."""
    if amount <= 0:
        return 0
    from billing.models import CreditEntry, CreditKind
    from billing.services.customers import credit_consume

    if not CreditEntry.objects.filter(account_id=account_id, kind=CreditKind.GRANT, currency=currency).exists():
        return 0  # never had credit in this currency: spare the ledger's locking and sums

    return credit_consume(account_id=account_id, currency=currency, amount=amount, reference=reference)


def credit_return(*, account_id: int, reference: str) -> int:
    """Give back what an invoice consumed (the invoice was voided)."""
    from billing.services.customers import credit_consumption_reverse

    return credit_consumption_reverse(account_id=account_id, reference=reference)


def credit_add(*, account: Account, currency: str, amount: int, reason: str, reference: str = "") -> None:
    from billing.services.customers import credit_grant

    credit_grant(account=account, amount=amount, currency=currency, reason=reason, reference=reference)
