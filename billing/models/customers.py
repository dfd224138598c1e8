"""Customers: an account's billing profile, its credit ledger, and the coupons it can redeem."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pricing.money import amount_label

from .accounts import Account, TenantModel


class CollectionMethod(models.TextChoices):
    """How an account's invoices are collected (invoicing keeps the one each invoice was issued with)."""

    CHARGE_AUTOMATICALLY = "charge_automatically", "Charge the payment method on file"
    SEND_INVOICE = "send_invoice", "Send the invoice (bank transfer)"


class BillingProfile(TenantModel):
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="billing_profile")
    legal_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, help_text="Where invoices go.")
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2.")
    tax_id = models.CharField(max_length=64, blank=True)
    tax_id_type = models.CharField(max_length=16, blank=True, help_text="e.g. eu_vat, us_ein, gb_vat.")
    currency = models.CharField(max_length=3, blank=True, help_text="Fixed once the account is invoiced.")
    currency_locked_at = models.DateTimeField(null=True, blank=True, editable=False)
    preferred_language = models.CharField(max_length=10, default="en")
    invoice_notes = models.TextField(blank=True)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    # Set by finance (admin) or an operator key; a subscription's own `collection_method` metadata wins.
    collection_method = models.CharField(max_length=32, choices=CollectionMethod.choices,
                                         default=CollectionMethod.CHARGE_AUTOMATICALLY)
    metadata = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"billing profile of {self.account_id}"


class CreditKind(models.TextChoices):
    GRANT = "grant", "Grant"
    CONSUMPTION = "consumption", "Consumed by an invoice"
    EXPIRY = "expiry", "Expired"
    REVERSAL = "reversal", "Consumption reversed"


class CreditEntry(TenantModel):
    """One line of an account's credit ledger. Append-only (a trigger refuses UPDATE and DELETE).

    Grants are positive; consumption and expiry are negative entries pointing at the
    grant they draw from, so each grant's remainder is `grant + its children`.
    """

    kind = models.CharField(max_length=16, choices=CreditKind.choices)
    amount = models.BigIntegerField(help_text="Minor units; positive for grants and reversals.")
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    grant = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    reference = models.CharField(max_length=100, blank=True,
                                 help_text="What consumed it, e.g. invoicing.invoice:42 (idempotency).")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "credit entries"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["grant"], condition=models.Q(kind="expiry"), name="credit_expiry_once"),
            models.UniqueConstraint(fields=["grant", "reference", "kind"], condition=~models.Q(reference=""),
                                    name="credit_reference_once"),
        ]

    def __str__(self):
        return f"{self.kind} {amount_label(self.amount, self.currency)}"


class CouponDuration(models.TextChoices):
    ONCE = "once", "Once"
    REPEATING = "repeating", "For a number of periods"
    FOREVER = "forever", "Forever"


class Coupon(models.Model):
    """A discount the operator offers (catalog data, not an account's)."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    percent_off = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True,
                                      validators=[MinValueValidator(0), MaxValueValidator(100)])
    amount_off = models.BigIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    currency = models.CharField(max_length=3, blank=True, help_text="Required with amount_off.")
    duration = models.CharField(max_length=16, choices=CouponDuration.choices, default=CouponDuration.ONCE)
    duration_in_periods = models.PositiveSmallIntegerField(null=True, blank=True)
    plans = models.ManyToManyField("billing.Plan", blank=True, related_name="coupons",
                                   help_text="Restricted to these plans; none = every plan.")
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    times_redeemed = models.PositiveIntegerField(default=0, editable=False)
    redeem_by = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(percent_off__isnull=False, amount_off__isnull=True)
                           | models.Q(percent_off__isnull=True, amount_off__isnull=False)),
                name="coupon_percent_xor_amount",
            ),
        ]

    def __str__(self):
        return self.code


class PromotionCode(models.Model):
    """A customer-facing code for a coupon, with its own limits."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="promotion_codes")
    code = models.CharField(max_length=64, unique=True)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    times_redeemed = models.PositiveIntegerField(default=0, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code
