"""Reads for payments: every function takes the ids it filters by (RLS is the second wall)."""

from __future__ import annotations

from django.apps import apps
from django.db.models import QuerySet

from billing.models import Membership, MembershipRole
from payments.models import (
    DunningCase,
    DunningStatus,
    GatewayCustomer,
    Payment,
    PaymentMethod,
    PaymentSetup,
    WebhookEvent,
)


def gateway_customer_live(*, account_id: int, gateway_name: str) -> GatewayCustomer | None:
    return GatewayCustomer.objects.filter(account_id=account_id, gateway=gateway_name,
                                          deleted_at__isnull=True).first()


def gateway_customer_by_id(*, gateway_name: str, customer_id: str) -> GatewayCustomer | None:
    return GatewayCustomer.objects.filter(gateway=gateway_name, customer_id=customer_id).first()


def payment_methods_of(*, account_id: int) -> QuerySet[PaymentMethod]:
    return PaymentMethod.objects.filter(account_id=account_id, removed_at__isnull=True)


def payment_method_default(*, account_id: int) -> PaymentMethod | None:
    return payment_methods_of(account_id=account_id).filter(is_default=True).first()


def payment_methods_offered(*, account_id: int) -> list[PaymentMethod]:
    """The saved methods a pay page offers: the default first, then the newest."""
    return list(payment_methods_of(account_id=account_id).order_by("-is_default", "-created_at", "-id"))


def payment_next_attempt(*, invoice_id: int) -> int:
    """The number the invoice's next payment attempt will carry (a pay form sends it back as its key)."""
    return (Payment.objects.filter(invoice_id=invoice_id).order_by("-attempt")
            .values_list("attempt", flat=True).first() or 0) + 1


def payment_of_invoice(*, account_id: int, invoice_id: int, payment_id: int) -> Payment | None:
    return Payment.objects.filter(pk=payment_id, account_id=account_id, invoice_id=invoice_id).first()


def payment_method_by_gateway_id(*, gateway_name: str, gateway_id: str) -> PaymentMethod | None:
    return PaymentMethod.objects.filter(gateway=gateway_name, gateway_id=gateway_id).first()


def payment_setup_by_gateway_id(*, gateway_id: str) -> PaymentSetup | None:
    return PaymentSetup.objects.filter(gateway_id=gateway_id).first()


def dunning_next_retry_at(*, invoice_id: int):
    """When dunning retries the invoice's payment next (None: no case retrying, or no retry left)."""
    return (DunningCase.objects.filter(invoice_id=invoice_id, status=DunningStatus.ACTIVE)
            .values_list("next_retry_at", flat=True).first())


def webhook_events_due(*, now, limit: int = 100) -> QuerySet[WebhookEvent]:
    """Events whose processing failed (or never ran) and whose retry time has come."""
    return WebhookEvent.objects.filter(status__in=["received", "failed"], next_attempt_at__lte=now) \
        .order_by("next_attempt_at", "id")[:limit]


def account_billing_emails(*, account_id: int) -> list[str]:
    """Where payment emails go: the billing profile's address, then owners and billing managers."""
    emails: list[str] = []
    try:
        profile_model = apps.get_model("billing", "BillingProfile")
    except LookupError:
        profile_model = None
    if profile_model is not None:
        email = profile_model.objects.filter(account_id=account_id).values_list("email", flat=True).first()
        if email:
            emails.append(email)
    members = Membership.objects.filter(
        account_id=account_id, role__in=[MembershipRole.OWNER, MembershipRole.BILLING_MANAGER]
    ).exclude(user__email="").values_list("user__email", flat=True)
    for email in members:
        if email not in emails:
            emails.append(email)
    return emails


def payment_method_usable(account_id: int) -> bool:
    """Whether collection has something to charge: a default payment method, not removed and not expired
    (what invoicing's emails and reminders ask, through invoicing.collection)."""
    from billing import clock

    method = payment_method_default(account_id=account_id)
    if method is None:
        return False
    if method.exp_year and method.exp_month:
        today = clock.now().date()
        return (method.exp_year, method.exp_month) >= (today.year, today.month)
    return True
