"""Invitations to an account and one-time portal sessions: both are links carrying a secret token that is
stored only as its SHA-256 hash, and both expire."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from .accounts import Account, MembershipRole, TenantModel
from .api_keys import ApiKey


class Invitation(TenantModel):
    """An owner asked someone, by email, to join the account with a role. Accepted, revoked or expired once."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=32, choices=MembershipRole.choices, default=MembershipRole.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One pending invitation per address and account: inviting again replaces the pending one.
            models.UniqueConstraint(Lower("email"), "account", name="invitation_one_pending_per_email",
                                    condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True)),
        ]

    def __str__(self):
        return f"invitation of {self.email} to {self.account_id} ({self.role})"


class PortalFlow(models.TextChoices):
    PAY_INVOICE = "pay_invoice", "Pay an invoice"
    UPDATE_PAYMENT_METHOD = "update_payment_method", "Update the payment method"
    CHANGE_PLAN = "change_plan", "Change the plan"
    CANCEL = "cancel", "Cancel the subscription"


class PortalSession(TenantModel):
    """A one-time link the operator's app hands to one of its users: it signs that person into the console
    for the account and opens a flow. Used once, within minutes."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    role = models.CharField(max_length=32, choices=MembershipRole.choices)
    return_url = models.URLField(max_length=2000)
    flow = models.CharField(max_length=32, choices=PortalFlow.choices, blank=True)
    invoice_id = models.BigIntegerField(null=True, blank=True)  # pay_invoice: this invoice, else the open list
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")

    def __str__(self):
        return f"portal session of {self.email} in {self.account_id}"
