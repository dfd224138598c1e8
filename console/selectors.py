"""Reads for the console pages that compose several apps: the overview of one account (what it is subscribed
to, what it owes, what comes next, its usage and everything it should act on), and one invoice with the
refunds of its payments. Each is built from each app's own reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from billing import clock
from billing.errors import AmountTooLarge
from billing.models import LIVE_STATUSES, Subscription, SubscriptionStatus
from billing.selectors import subscription_shown
from invoicing.models import Invoice, InvoiceStatus
from invoicing.selectors_console import InvoiceStatement, invoice_statement
from invoicing.upcoming import invoice_upcoming
from metering.selectors import CurrentUsage, alerts_open, current_usage
from payments.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus

# A trial ending within this many days gets a banner.
TRIAL_WARNING_DAYS = 7


@dataclass
class Overview:
    at: datetime
    subscription: Subscription | None
    usage: CurrentUsage
    open_invoices: list[Invoice] = field(default_factory=list)  # the oldest due first
    upcoming: Invoice | None = None  # unsaved: the next invoice as of now
    upcoming_error: str = ""
    failed_payments: list[Payment] = field(default_factory=list)  # the last attempt failed
    alerted_metrics: set[str] = field(default_factory=set)  # metric codes with an open usage alert
    has_payment_method: bool = False

    @property
    def trial_ending(self) -> bool:
        s = self.subscription
        return bool(s and s.status == SubscriptionStatus.TRIALING and s.trial_end
                    and s.trial_end - self.at <= timedelta(days=TRIAL_WARNING_DAYS))

    @property
    def days_left(self) -> int | None:
        s = self.subscription
        if s is None:
            return None
        return max(0, (s.current_period_end - self.at).days)


def account_overview(*, account_id: int, at: datetime | None = None) -> Overview:
    now = at or clock.now()
    subscription = subscription_shown(account_id=account_id)
    overview = Overview(at=now, subscription=subscription, usage=current_usage(account_id=account_id, at=now))
    overview.open_invoices = list(Invoice.objects.filter(account_id=account_id, status=InvoiceStatus.OPEN)
                                  .order_by("due_date", "id"))
    if subscription is not None and subscription.status in LIVE_STATUSES:
        try:
            overview.upcoming = invoice_upcoming(subscription=subscription, at=now).invoice
        except AmountTooLarge as exc:  # terms past the amount bounds: finance is told by the bill run
            overview.upcoming_error = exc.message
    if overview.open_invoices:
        # The latest attempt at each open invoice, when it failed: the customer should fix the card.
        latest = {}
        for payment in (Payment.objects.filter(account_id=account_id,
                                               invoice_id__in=[i.pk for i in overview.open_invoices])
                        .select_related("invoice").order_by("invoice_id", "-created_at", "-id")):
            latest.setdefault(payment.invoice_id, payment)
        overview.failed_payments = [p for p in latest.values() if p.status == PaymentStatus.FAILED]
    overview.alerted_metrics = {alert.metric.code for alert in alerts_open(account_id=account_id)}
    overview.has_payment_method = PaymentMethod.objects.filter(account_id=account_id,
                                                               removed_at__isnull=True).exists()
    return overview


def invoice_statement_with_refunds(*, invoice_id: int, account_id: int) -> InvoiceStatement | None:
    """invoicing's statement of one finalized invoice of the account, with what was paid back of its payments
    (refunds that succeeded or are under way); None for another account's invoice or a draft (404)."""
    statement = invoice_statement(invoice_id=invoice_id, account_id=account_id)
    if statement is not None:
        statement.refunds = list(Refund.objects.filter(account_id=account_id, payment__invoice_id=invoice_id)
                                 .exclude(status=RefundStatus.FAILED).order_by("created_at", "id"))
    return statement
