"""The account's customer at the gateway: made once, on first need."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from billing import clock
from billing.audit import audit_record, snapshot
from billing.models import Account
from billing.transitions import row_lock
from payments import selectors
from payments.gateways import default_name, gateway
from payments.models import GatewayCustomer


def gateway_customer_ensure(*, account: Account, gateway_name: str | None = None) -> GatewayCustomer:
    """The live customer of `account` at the gateway, created there if needed.

    The gateway call happens outside our transaction; its idempotency reference
    (`account:<id>:customer:<n>`) makes a retry after a crash return the same customer.
    """
    name = gateway_name or default_name()
    existing = selectors.gateway_customer_live(account_id=account.pk, gateway_name=name)
    if existing is not None:
        return existing
    generation = GatewayCustomer.objects.filter(account_id=account.pk, gateway=name).count() + 1
    emails = selectors.account_billing_emails(account_id=account.pk)
    remote = gateway(name).customer_create(
        reference=f"account:{account.pk}:customer:{generation}", name=account.name,
        email=emails[0] if emails else "", metadata={"account_id": str(account.pk)},
    )
    try:
        with transaction.atomic():
            customer = GatewayCustomer.objects.create(account_id=account.pk, gateway=name,
                                                      customer_id=remote.id)
            audit_record(action="payments.customer.created", instance=customer, after=snapshot(customer))
    except IntegrityError:  # a concurrent request made it first
        customer = selectors.gateway_customer_live(account_id=account.pk, gateway_name=name)
        if customer is None:
            raise
    return customer


@transaction.atomic
def gateway_customer_mark_deleted(*, customer: GatewayCustomer) -> GatewayCustomer:
    """The customer was deleted at the gateway: forget it and its payment methods."""
    from payments.models import PaymentMethod

    customer = row_lock(GatewayCustomer, customer)
    if customer.deleted_at is not None:
        return customer
    now = clock.now()
    customer.deleted_at = now
    customer.save(update_fields=["deleted_at"])
    removed = PaymentMethod.objects.filter(account_id=customer.account_id, gateway=customer.gateway,
                                           removed_at__isnull=True)
    ids = list(removed.values_list("pk", flat=True))
    removed.update(removed_at=now, is_default=False)
    audit_record(action="payments.customer.deleted", instance=customer,
                 after={"deleted_at": now, "payment_methods_removed": ids})
    return customer
