"""The manual gateway: bank transfers and cheques that finance records by hand.

No money moves through it. A charge stays `pending` until finance records the
transfer (admin action or API); a refund is recorded as paid back by finance.
"""

from __future__ import annotations

from .base import (
    ChargeRequest,
    ChargeResult,
    CustomerRef,
    Gateway,
    GatewayNotSupported,
    PaymentStatus,
    RefundRequest,
    RefundResult,
)


class ManualGateway(Gateway):
    name = "manual"

    def customer_create(self, *, reference, name, email="", metadata=None):
        return CustomerRef(id=f"manual_{reference}")

    def customer_retrieve(self, customer_id):
        return CustomerRef(id=customer_id)

    def _unsupported(self, *args, **kwargs):
        raise GatewayNotSupported("Bank transfers are recorded by finance; there is no card to set up or store.")

    setup_start = setup_retrieve = method_retrieve = method_attach = _unsupported

    def method_detach(self, *, method_id):
        return None

    def customer_default_set(self, *, customer_id, method_id):
        return None

    def charge(self, request: ChargeRequest) -> ChargeResult:
        return ChargeResult(status=PaymentStatus.PENDING, payment_id=f"manual_{request.reference}",
                            amount=request.amount, currency=request.currency.upper(),
                            customer_id=request.customer_id, reference=request.reference)

    def payment_retrieve(self, payment_id):
        return ChargeResult(status=PaymentStatus.PENDING, payment_id=payment_id)

    def payment_find(self, *, customer_id, reference, since):
        return None

    def payment_cancel(self, payment_id):
        return ChargeResult(status=PaymentStatus.CANCELED, payment_id=payment_id)

    def refund(self, request: RefundRequest) -> RefundResult:
        return RefundResult(id=f"manual_{request.reference}", status="succeeded", amount=request.amount,
                            currency="", payment_id=request.payment_id, reference=request.reference)

    def refunds_for_payment(self, payment_id):
        return []

    def charges_list(self, *, start, end):
        return []

    def refunds_list(self, *, start, end):
        return []

    def events_list(self, *, since):
        return []
