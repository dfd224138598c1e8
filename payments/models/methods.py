"""Tokenized payment methods: a gateway id plus what a person needs to recognise the card.

Never a card number or CVC: Stripe.js sends those to Stripe from the browser.
"""

from django.db import models

from billing.models import TenantModel


class PaymentMethod(TenantModel):
    gateway = models.CharField(max_length=16)
    gateway_id = models.CharField(max_length=255)
    type = models.CharField(max_length=32, help_text="card, sepa_debit, us_bank_account, ...")
    brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    bank_name = models.CharField(max_length=100, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "gateway_id"], name="payment_method_unique_gateway_id"),
            models.UniqueConstraint(fields=["account"], condition=models.Q(is_default=True, removed_at__isnull=True),
                                    name="payment_method_one_default_per_account"),
        ]

    def __str__(self):
        label = f"{self.brand or self.type} •••• {self.last4}" if self.last4 else self.type
        return f"{label} ({self.exp_month:02d}/{self.exp_year})" if self.exp_month and self.exp_year else label

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class SetupStatus(models.TextChoices):
    STARTED = "started", "Waiting for the customer"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class PaymentSetup(TenantModel):
    """One SetupIntent we started: ties the browser's flow back to the account."""

    gateway = models.CharField(max_length=16)
    gateway_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=SetupStatus.choices, default=SetupStatus.STARTED)
    payment_method = models.ForeignKey(PaymentMethod, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+")
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.gateway_id} ({self.status})"
