"""The Stripe gateway: the only module that talks to Stripe (through the `stripe` SDK).

Every write sends our `reference` as the idempotency key and stores it in the
object's metadata; the client retries network failures itself
(`STRIPE_MAX_NETWORK_RETRIES`, safe because of the keys) and gives up after
`STRIPE_TIMEOUT_SECONDS`, raising `GatewayUnavailable`: the caller then leaves the
payment pending for the janitor, which asks Stripe what happened.
"""

from __future__ import annotations

from datetime import UTC, datetime

import stripe

from .base import (
    ChargeRecord,
    ChargeRequest,
    ChargeResult,
    CustomerRef,
    Gateway,
    GatewayError,
    GatewayEvent,
    GatewayUnavailable,
    MethodDetails,
    PaymentStatus,
    RefundRequest,
    RefundResult,
    SetupSession,
)

PAGE_SIZE = 100
_INTENT_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "processing": PaymentStatus.PENDING,
    "requires_capture": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "requires_confirmation": PaymentStatus.REQUIRES_ACTION,
    "requires_payment_method": PaymentStatus.FAILED,
    "canceled": PaymentStatus.CANCELED,
}


def _ts(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _id(value) -> str:
    """An id whether Stripe returned it as a string or as an expanded object."""
    if not value:
        return ""
    return value if isinstance(value, str) else value.get("id", "")


def _plain(obj) -> dict:
    """SDK objects are not dicts (v12+): work on plain dicts from here on."""
    if obj is None:
        return {}
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _get(obj: dict, key: str, default=None):
    value = obj.get(key, default)
    return default if value is None else value


def intent_result(intent) -> ChargeResult:
    """A PaymentIntent (SDK object or webhook dict) as a ChargeResult."""
    intent = _plain(intent)
    charge = _get(intent, "latest_charge")
    error = _get(intent, "last_payment_error") or {}
    status = _INTENT_STATUS.get(_get(intent, "status", ""), PaymentStatus.PENDING)
    charge_obj = charge if charge and not isinstance(charge, str) else {}
    return ChargeResult(
        status=status,
        payment_id=_get(intent, "id", ""),
        charge_id=_id(charge),
        amount=int(_get(intent, "amount", 0)),
        amount_refunded=int(_get(charge_obj, "amount_refunded", 0)),
        currency=str(_get(intent, "currency", "")).upper(),
        customer_id=_id(_get(intent, "customer")),
        reference=_get(intent, "metadata", {}).get("reference", ""),
        client_secret=_get(intent, "client_secret", "") if status == PaymentStatus.REQUIRES_ACTION else "",
        failure_code=_get(error, "decline_code", "") or _get(error, "code", "") if status == PaymentStatus.FAILED else "",
        failure_message=_get(error, "message", "") if status == PaymentStatus.FAILED else "",
        disputed=bool(_get(charge_obj, "disputed", False)),
    )


def method_details(method) -> MethodDetails:
    method = _plain(method)
    kind = _get(method, "type", "")
    card = _get(method, "card") or {}
    sepa = _get(method, "sepa_debit") or {}
    bank = _get(method, "us_bank_account") or {}
    source = card or sepa or bank
    return MethodDetails(
        id=_get(method, "id", ""),
        type=kind,
        customer_id=_id(_get(method, "customer")) or None,
        brand=_get(card, "brand", ""),
        last4=_get(source, "last4", ""),
        exp_month=_get(card, "exp_month") or None,
        exp_year=_get(card, "exp_year") or None,
        fingerprint=_get(source, "fingerprint", ""),
        bank_name=_get(bank, "bank_name", "") or _get(sepa, "bank_code", ""),
    )


class StripeGateway(Gateway):
    name = "stripe"

    def __init__(self, *, secret_key: str, publishable_key: str = "", api_base: str = "",
                 timeout_seconds: int = 20, max_network_retries: int = 2, http_client=None):
        if not secret_key:
            raise GatewayError("STRIPE_SECRET_KEY is not set.", code="gateway_not_configured")
        self.publishable_key = publishable_key
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=http_client or stripe.new_default_http_client(timeout=timeout_seconds),
        )

    @staticmethod
    def _error(exc: stripe.StripeError) -> GatewayError:
        """Unknown outcome (network, Stripe 5xx, rate limit) vs a definite refusal."""
        if isinstance(exc, (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)):
            return GatewayUnavailable(f"Stripe did not answer: {exc.user_message or exc}")
        return GatewayError(exc.user_message or str(exc), code=exc.code or "gateway_error")

    def _call(self, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except stripe.StripeError as exc:
            raise self._error(exc) from exc

    @staticmethod
    def _options(reference: str) -> dict:
        return {"idempotency_key": reference}

    def customer_create(self, *, reference, name, email="", metadata=None):
        params = {"name": name, "metadata": {**(metadata or {}), "reference": reference}}
        if email:
            params["email"] = email
        customer = self._call(self.client.v1.customers.create, params=params, options=self._options(reference))
        return CustomerRef(id=customer.id)

    def customer_retrieve(self, customer_id):
        try:
            customer = _plain(self.client.v1.customers.retrieve(customer_id))
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return CustomerRef(id=customer_id, deleted=True)
            raise self._error(exc) from exc
        except stripe.StripeError as exc:
            raise self._error(exc) from exc
        settings = _get(customer, "invoice_settings", {})
        return CustomerRef(id=customer_id, default_method_id=_id(settings.get("default_payment_method")) or None,
                           deleted=bool(customer.get("deleted")))

    def _setup(self, intent) -> SetupSession:
        intent = _plain(intent)
        error = _get(intent, "last_setup_error") or {}
        return SetupSession(id=intent["id"], client_secret=intent.get("client_secret") or "",
                            status=intent["status"],
                            payment_method_id=_id(_get(intent, "payment_method")) or None,
                            customer_id=_id(_get(intent, "customer")) or None,
                            failure_code=_get(error, "code", ""), failure_message=_get(error, "message", ""))

    def setup_start(self, *, reference, customer_id, method_types):
        intent = self._call(
            self.client.v1.setup_intents.create,
            params={"customer": customer_id, "usage": "off_session", "payment_method_types": method_types,
                    "metadata": {"reference": reference}},
            options=self._options(reference),
        )
        return self._setup(intent)

    def setup_retrieve(self, setup_id):
        return self._setup(self._call(self.client.v1.setup_intents.retrieve, setup_id))

    def method_retrieve(self, method_id):
        return method_details(self._call(self.client.v1.payment_methods.retrieve, method_id))

    def method_attach(self, *, method_id, customer_id):
        return method_details(self._call(self.client.v1.payment_methods.attach, method_id,
                                         params={"customer": customer_id}))

    def method_detach(self, *, method_id):
        try:
            self.client.v1.payment_methods.detach(method_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404 or "not attached" in str(exc):
                return  # already gone: removing is idempotent
            raise self._error(exc) from exc
        except stripe.StripeError as exc:
            raise self._error(exc) from exc

    def customer_default_set(self, *, customer_id, method_id):
        self._call(self.client.v1.customers.update, customer_id,
                   params={"invoice_settings": {"default_payment_method": method_id}})

    def charge(self, request: ChargeRequest) -> ChargeResult:
        params = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "customer": request.customer_id,
            "payment_method": request.payment_method_id,
            "confirm": True,
            "off_session": True,
            "metadata": {**request.metadata, "reference": request.reference},
        }
        if request.customer_present and request.method_type == "card":
            # On-session: Stripe answers requires_action when the bank wants 3-D Secure (off-session it refuses
            # with authentication_required); naming the type keeps redirect-based methods (and so a return_url)
            # out of the confirmation. Debits ask no 3-D Secure and stay off-session under their mandate.
            del params["off_session"]
            params["payment_method_types"] = ["card"]
        try:
            intent = self.client.v1.payment_intents.create(params=params, options=self._options(request.reference))
        except stripe.CardError as exc:
            error = (exc.json_body or {}).get("error", {})
            return ChargeResult(
                status=PaymentStatus.FAILED, payment_id=_id(error.get("payment_intent")),
                charge_id=error.get("charge", ""), amount=request.amount, currency=request.currency.upper(),
                customer_id=request.customer_id, reference=request.reference,
                failure_code=error.get("decline_code") or exc.code or "card_declined",
                failure_message=exc.user_message or str(exc),
            )
        except stripe.StripeError as exc:
            raise self._error(exc) from exc
        return intent_result(intent)

    def payment_retrieve(self, payment_id):
        intent = self._call(self.client.v1.payment_intents.retrieve, payment_id,
                            params={"expand": ["latest_charge"]})
        return intent_result(intent)

    def payment_find(self, *, customer_id, reference, since):
        # Charges carry their PaymentIntent; the intent carries our reference in metadata.
        charges = self._call(self.client.v1.charges.list,
                             params={"customer": customer_id, "created": {"gt": int(since.timestamp()) - 1},
                                     "limit": PAGE_SIZE})
        seen = set()
        for charge in charges.auto_paging_iter():
            intent_id = _id(_plain(charge).get("payment_intent"))
            if not intent_id or intent_id in seen:
                continue
            seen.add(intent_id)
            result = self.payment_retrieve(intent_id)
            if result.reference == reference:
                return result
        return None

    def payment_cancel(self, payment_id):
        return intent_result(self._call(self.client.v1.payment_intents.cancel, payment_id))

    def refund(self, request: RefundRequest) -> RefundResult:
        params = {"payment_intent": request.payment_id, "amount": request.amount,
                  "metadata": {**request.metadata, "reference": request.reference}}
        refund = self._call(self.client.v1.refunds.create, params=params, options=self._options(request.reference))
        return self._refund(refund)

    @staticmethod
    def _refund(refund) -> RefundResult:
        refund = _plain(refund)
        return RefundResult(
            id=refund["id"], status=_get(refund, "status", "succeeded"), amount=int(refund["amount"]),
            currency=str(_get(refund, "currency", "")).upper(), charge_id=_id(_get(refund, "charge")),
            payment_id=_id(_get(refund, "payment_intent")),
            reference=_get(refund, "metadata", {}).get("reference", ""), created=_ts(_get(refund, "created")),
        )

    def refunds_for_payment(self, payment_id):
        refunds = self._call(self.client.v1.refunds.list, params={"payment_intent": payment_id, "limit": PAGE_SIZE})
        return [self._refund(refund) for refund in refunds.auto_paging_iter()]

    def charges_list(self, *, start, end):
        charges = self._call(self.client.v1.charges.list,
                             params={"created": {"gt": int(start.timestamp()) - 1}, "limit": PAGE_SIZE})
        records = []
        for item in charges.auto_paging_iter():
            charge = _plain(item)
            created = _ts(charge["created"])
            if not (start <= created < end):
                continue
            records.append(ChargeRecord(
                id=charge["id"], payment_id=_id(charge.get("payment_intent")),
                customer_id=_id(charge.get("customer")), amount=int(charge["amount"]),
                amount_refunded=int(_get(charge, "amount_refunded", 0)), currency=str(charge["currency"]).upper(),
                status=charge["status"], created=created, reference=_get(charge, "metadata", {}).get("reference", ""),
            ))
        return records

    def refunds_list(self, *, start, end):
        # Stripe lists refunds newest first: stop at the first one older than the window.
        refunds = self._call(self.client.v1.refunds.list, params={"limit": PAGE_SIZE})
        records = []
        for refund in refunds.auto_paging_iter():
            result = self._refund(refund)
            if result.created >= end:
                continue
            if result.created < start:
                break
            records.append(result)
        return records

    def events_list(self, *, since):
        events = self._call(self.client.v1.events.list,
                            params={"created": {"gte": int(since.timestamp())}, "limit": PAGE_SIZE})
        return [GatewayEvent(id=event.id, type=event.type, created=_ts(event.created), payload=_plain(event))
                for event in events.auto_paging_iter()]
