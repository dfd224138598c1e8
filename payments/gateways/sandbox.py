"""The sandbox gateway: an offline stand-in so `make run` works without a Stripe key.

Nothing leaves the machine and no money moves; the admin says so on every
payments page. State lives in the cache (Redis), so the web process and the
workers see the same objects. Payment methods are test tokens whose suffix
decides the outcome, as Stripe's test cards do:

- `pm_sandbox_visa` (and any other): the charge succeeds,
- `pm_sandbox_declined`: declined (`card_declined`),
- `pm_sandbox_3ds`: requires authentication (`requires_action`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from django.core.cache import cache

from .base import (
    ChargeRecord,
    ChargeRequest,
    ChargeResult,
    CustomerRef,
    Gateway,
    GatewayError,
    MethodDetails,
    PaymentStatus,
    RefundRequest,
    RefundResult,
    SetupSession,
)

TTL = 90 * 24 * 3600
TEST_CARDS = {
    "visa": ("visa", "4242"),
    "declined": ("visa", "0002"),
    "3ds": ("visa", "3220"),
}


def _key(kind: str, ident: str) -> str:
    return f"payments:sandbox:{kind}:{ident}"


def _now() -> datetime:
    return datetime.now(tz=UTC)


class SandboxGateway(Gateway):
    name = "sandbox"
    offline = True
    publishable_key = "pk_sandbox"

    def _store(self, kind: str, ident: str, value: dict) -> dict:
        cache.set(_key(kind, ident), value, timeout=TTL)
        return value

    def _load(self, kind: str, ident: str) -> dict:
        value = cache.get(_key(kind, ident))
        if value is None:
            raise GatewayError(f"No sandbox {kind} {ident}.", code="resource_missing")
        return value

    def _once(self, reference: str, make) -> dict:
        """The sandbox's idempotency: the same reference returns the first result."""
        existing = cache.get(_key("ref", reference))
        if existing is not None:
            return existing
        value = make()
        cache.set(_key("ref", reference), value, timeout=TTL)
        return value

    def customer_create(self, *, reference, name, email="", metadata=None):
        customer = self._once(reference, lambda: {"id": f"cus_sandbox_{secrets.token_hex(6)}"})
        return CustomerRef(id=customer["id"])

    def customer_retrieve(self, customer_id):
        return CustomerRef(id=customer_id, default_method_id=cache.get(_key("default", customer_id)))

    def setup_start(self, *, reference, customer_id, method_types):
        def make():
            ident = f"seti_sandbox_{secrets.token_hex(6)}"
            return self._store("setup", ident, {"id": ident, "client_secret": f"{ident}_secret",
                                                "status": "requires_payment_method", "customer": customer_id,
                                                "payment_method": None})

        setup = self._once(reference, make)
        return self.setup_retrieve(setup["id"])

    def setup_confirm(self, *, setup_id: str, card: str) -> SetupSession:
        """What Stripe.js does in the browser, for the offline demo: attach a test card."""
        setup = self._load("setup", setup_id)
        brand, last4 = TEST_CARDS.get(card, TEST_CARDS["visa"])
        method_id = f"pm_sandbox_{card}_{secrets.token_hex(4)}"
        self._store("method", method_id, {"id": method_id, "type": "card", "customer": setup["customer"],
                                          "brand": brand, "last4": last4, "exp_month": 12,
                                          "exp_year": _now().year + 3, "fingerprint": f"sbx{card}"})
        setup.update(status="succeeded", payment_method=method_id)
        self._store("setup", setup_id, setup)
        return self.setup_retrieve(setup_id)

    def setup_retrieve(self, setup_id):
        setup = self._load("setup", setup_id)
        return SetupSession(id=setup["id"], client_secret=setup["client_secret"], status=setup["status"],
                            payment_method_id=setup["payment_method"], customer_id=setup["customer"])

    def method_retrieve(self, method_id):
        method = self._load("method", method_id)
        return MethodDetails(id=method["id"], type=method["type"], customer_id=method["customer"],
                             brand=method["brand"], last4=method["last4"], exp_month=method["exp_month"],
                             exp_year=method["exp_year"], fingerprint=method["fingerprint"])

    def method_attach(self, *, method_id, customer_id):
        method = self._load("method", method_id)
        method["customer"] = customer_id
        self._store("method", method_id, method)
        return self.method_retrieve(method_id)

    def method_detach(self, *, method_id):
        method = cache.get(_key("method", method_id))
        if method:
            method["customer"] = None
            self._store("method", method_id, method)

    def customer_default_set(self, *, customer_id, method_id):
        cache.set(_key("default", customer_id), method_id, timeout=TTL)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        def make():
            ident = f"pi_sandbox_{secrets.token_hex(6)}"
            method = request.payment_method_id
            if "_declined" in method:
                status, code, message = PaymentStatus.FAILED, "card_declined", "Your card was declined."
            elif "_3ds" in method:
                status, code, message = PaymentStatus.REQUIRES_ACTION, "", ""
            else:
                status, code, message = PaymentStatus.SUCCEEDED, "", ""
            return self._store("payment", ident, {
                "id": ident, "status": status, "charge": f"ch_sandbox_{secrets.token_hex(6)}",
                "amount": request.amount, "refunded": 0, "currency": request.currency.upper(),
                "customer": request.customer_id, "reference": request.reference, "failure_code": code,
                "failure_message": message, "created": _now().timestamp(),
            })

        return self.payment_retrieve(self._once(request.reference, make)["id"])

    def payment_retrieve(self, payment_id):
        p = self._load("payment", payment_id)
        return ChargeResult(status=p["status"], payment_id=p["id"], charge_id=p["charge"], amount=p["amount"],
                            amount_refunded=p["refunded"], currency=p["currency"], customer_id=p["customer"],
                            reference=p["reference"], failure_code=p["failure_code"],
                            failure_message=p["failure_message"],
                            client_secret=f"{p['id']}_secret" if p["status"] == PaymentStatus.REQUIRES_ACTION else "")

    def payment_authenticate(self, *, payment_id: str, success: bool = True) -> ChargeResult:
        """What the bank's 3-D Secure page does, for the offline demo."""
        p = self._load("payment", payment_id)
        if p["status"] == PaymentStatus.REQUIRES_ACTION:
            p["status"] = PaymentStatus.SUCCEEDED if success else PaymentStatus.FAILED
            if not success:
                p["failure_code"], p["failure_message"] = "authentication_failed", "Authentication failed."
            self._store("payment", payment_id, p)
        return self.payment_retrieve(payment_id)

    def payment_find(self, *, customer_id, reference, since):
        found = cache.get(_key("ref", reference))
        return self.payment_retrieve(found["id"]) if found else None

    def payment_cancel(self, payment_id):
        p = self._load("payment", payment_id)
        if p["status"] in (PaymentStatus.REQUIRES_ACTION, PaymentStatus.PENDING):
            p["status"] = PaymentStatus.CANCELED
            self._store("payment", payment_id, p)
        return self.payment_retrieve(payment_id)

    def refund(self, request: RefundRequest) -> RefundResult:
        def make():
            p = self._load("payment", request.payment_id)
            if p["refunded"] + request.amount > p["amount"]:
                raise GatewayError("The refund exceeds what was charged.", code="amount_too_large")
            p["refunded"] += request.amount
            self._store("payment", p["id"], p)
            return {"id": f"re_sandbox_{secrets.token_hex(6)}", "currency": p["currency"], "charge": p["charge"]}

        refund = self._once(request.reference, make)
        return RefundResult(id=refund["id"], status="succeeded", amount=request.amount, currency=refund["currency"],
                            charge_id=refund["charge"], payment_id=request.payment_id, reference=request.reference,
                            created=_now())

    def refunds_for_payment(self, payment_id):
        return []

    def charges_list(self, *, start, end) -> list[ChargeRecord]:
        return []  # the sandbox keeps no index by date: reconciliation has nothing to compare against

    def refunds_list(self, *, start, end):
        return []

    def events_list(self, *, since):
        return []
