"""The gateway boundary: what payments needs from a processor, as small dataclasses.

Services talk to a `Gateway`; only gateway modules know a processor's SDK. Every
write takes a `reference` derived from our own ids (for example
`invoice:42:attempt:1`): the Stripe gateway sends it as the idempotency key and
stores it in the object's metadata, so a retry never moves money twice and a
lost answer can be found again (`payment_find`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from billing.errors import BillingError
from payments.models.payments import PaymentStatus


class GatewayError(BillingError):
    """The payment processor refused the request."""

    status = 502
    code = "gateway_error"


class GatewayUnavailable(GatewayError):
    """The payment processor could not be reached (timeout or network); the outcome is unknown."""

    status = 503
    code = "gateway_unavailable"


class GatewayNotSupported(GatewayError):
    """This gateway does not support the operation."""

    status = 409
    code = "gateway_not_supported"


# What a gateway reports for a charge: one of the payment's own statuses, those a charge reaches at the
# processor (refunds and disputes are recorded by us, later).
GATEWAY_OUTCOMES = (PaymentStatus.PENDING, PaymentStatus.SUCCEEDED, PaymentStatus.FAILED,
                    PaymentStatus.REQUIRES_ACTION, PaymentStatus.CANCELED)


@dataclass(frozen=True)
class CustomerRef:
    id: str
    default_method_id: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class SetupSession:
    """A SetupIntent (or its equivalent) that the browser completes with the client secret."""

    id: str
    client_secret: str
    status: str
    payment_method_id: str | None = None
    customer_id: str | None = None
    failure_code: str = ""
    failure_message: str = ""


@dataclass(frozen=True)
class MethodDetails:
    """What we may store about a payment method: never a card number or CVC."""

    id: str
    type: str
    customer_id: str | None = None
    brand: str = ""
    last4: str = ""
    exp_month: int | None = None
    exp_year: int | None = None
    fingerprint: str = ""
    bank_name: str = ""


@dataclass(frozen=True)
class ChargeRequest:
    reference: str
    customer_id: str
    payment_method_id: str
    amount: int
    currency: str
    description: str = ""
    metadata: dict = field(default_factory=dict)
    # The customer pressed Pay and is on the page: the bank may ask for 3-D Secure (requires_action) rather
    # than the charge being refused as an off-session one would be.
    method_type: str = "card"
    customer_present: bool = False


@dataclass(frozen=True)
class ChargeResult:
    status: str  # one of GATEWAY_OUTCOMES
    payment_id: str = ""  # PaymentIntent id
    charge_id: str = ""
    amount: int = 0
    amount_refunded: int = 0
    currency: str = ""
    customer_id: str = ""
    reference: str = ""
    client_secret: str = ""
    failure_code: str = ""
    failure_message: str = ""
    disputed: bool = False


@dataclass(frozen=True)
class RefundRequest:
    reference: str
    payment_id: str
    amount: int
    reason: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str  # succeeded | pending | failed | canceled
    amount: int
    currency: str
    charge_id: str = ""
    payment_id: str = ""
    reference: str = ""
    created: datetime | None = None


@dataclass(frozen=True)
class ChargeRecord:
    """One charge as the processor lists it (reconciliation)."""

    id: str
    payment_id: str
    customer_id: str
    amount: int
    amount_refunded: int
    currency: str
    status: str
    created: datetime
    reference: str = ""


@dataclass(frozen=True)
class GatewayEvent:
    id: str
    type: str
    created: datetime
    payload: dict


class Gateway(ABC):
    """A payment processor. Implementations are built lazily by `payments.gateways.gateway()`."""

    name: str = ""
    offline: bool = False  # True for the sandbox: no money moves
    publishable_key: str = ""

    @abstractmethod
    def customer_create(self, *, reference: str, name: str, email: str = "",
                        metadata: dict | None = None) -> CustomerRef: ...

    @abstractmethod
    def customer_retrieve(self, customer_id: str) -> CustomerRef: ...

    @abstractmethod
    def setup_start(self, *, reference: str, customer_id: str, method_types: list[str]) -> SetupSession: ...

    @abstractmethod
    def setup_retrieve(self, setup_id: str) -> SetupSession: ...

    @abstractmethod
    def method_retrieve(self, method_id: str) -> MethodDetails: ...

    @abstractmethod
    def method_attach(self, *, method_id: str, customer_id: str) -> MethodDetails: ...

    @abstractmethod
    def method_detach(self, *, method_id: str) -> None: ...

    @abstractmethod
    def customer_default_set(self, *, customer_id: str, method_id: str) -> None: ...

    @abstractmethod
    def charge(self, request: ChargeRequest) -> ChargeResult: ...

    @abstractmethod
    def payment_retrieve(self, payment_id: str) -> ChargeResult: ...

    @abstractmethod
    def payment_find(self, *, customer_id: str, reference: str, since: datetime) -> ChargeResult | None:
        """The charge made under `reference` (after a lost answer), or None if none was made."""

    @abstractmethod
    def payment_cancel(self, payment_id: str) -> ChargeResult: ...

    @abstractmethod
    def refund(self, request: RefundRequest) -> RefundResult: ...

    @abstractmethod
    def refunds_for_payment(self, payment_id: str) -> list[RefundResult]: ...

    @abstractmethod
    def charges_list(self, *, start: datetime, end: datetime) -> list[ChargeRecord]: ...

    @abstractmethod
    def refunds_list(self, *, start: datetime, end: datetime) -> list[RefundResult]: ...

    @abstractmethod
    def events_list(self, *, since: datetime) -> list[GatewayEvent]: ...
