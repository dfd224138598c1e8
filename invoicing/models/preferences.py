"""Per-account invoicing preferences and the log of emails sent (for exactly-once sending)."""

from django.db import models

from billing.models import Account, TenantModel


class EmailType(models.TextChoices):
    INVOICE_GENERATED = "billing_invoice_generated", "Invoice generated"
    PAYMENT_SUCCEEDED = "billing_payment_succeeded", "Payment succeeded"
    PAYMENT_FAILED = "billing_payment_failed", "Payment failed"
    INVOICE_OVERDUE = "billing_invoice_overdue", "Invoice overdue"
    INVOICE_DUE_SOON = "billing_invoice_due_soon", "Invoice due soon"
    ACCOUNT_OVERDUE = "billing_account_overdue", "Account overdue (warning, restriction, suspension)"
    PAYMENT_REQUIRES_ACTION = "billing_payment_requires_action", "Payment to confirm (3-D Secure)"
    PAYMENT_ACTION_EXPIRED = "billing_payment_action_expired", "Payment confirmation expired (3-D Secure)"
    SUBSCRIPTION_CREATED = "billing_subscription_created", "Subscription created"
    SUBSCRIPTION_CANCELED = "billing_subscription_canceled", "Subscription canceled"
    UPCOMING_RENEWAL = "billing_upcoming_renewal", "Upcoming renewal"
    CREDIT_NOTE_ISSUED = "billing_credit_note_issued", "Credit note issued"
    USAGE_THRESHOLD_REACHED = "billing_usage_threshold_reached", "Usage threshold reached"
    # To the operator's finance staff (FINANCE_ALERT_EMAILS), not to the customer.
    BILL_RUN_SUBSCRIPTION_FAILED = "finance_bill_run_subscription_failed", "Bill run failed for a subscription (finance)"
    LEDGER_DIFFERENCE = "finance_ledger_difference", "The ledger check found a difference (finance)"


class CustomerInvoicing(TenantModel):
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="invoicing")
    net_terms_days = models.PositiveSmallIntegerField(null=True, blank=True,
                                                      help_text="Days to pay; blank = the default (30).")
    tax_exempt = models.BooleanField(default=False)
    tax_exempt_reason = models.CharField(max_length=200, blank=True)
    email_opt_outs = models.JSONField(default=list, blank=True, help_text="Email types not to send.")
    extra_recipients = models.JSONField(default=list, blank=True,
                                        help_text="More billing contacts, besides the profile's email.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "customer invoicing settings"
        verbose_name_plural = "customer invoicing settings"

    def __str__(self):
        return f"invoicing settings of {self.account_id}"


class SentEmail(TenantModel):
    """One row per (event, email type): a replayed outbox event never sends twice."""

    type = models.CharField(max_length=64, choices=EmailType.choices)
    event_id = models.BigIntegerField()
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_id", "type"], name="sentemail_once_per_event")]

    def __str__(self):
        return f"{self.type} for event {self.event_id}"
