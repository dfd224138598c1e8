"""The tenant (a customer's billing account) and who may act for it."""

from django.conf import settings
from django.db import models
from django_rls.models import RLSModel

from billing.rls import tenant_policy


class Account(RLSModel):
    """A customer's billing account: the unit of tenancy."""

    name = models.CharField(max_length=200)
    external_id = models.CharField(
        max_length=128, unique=True, null=True, blank=True,
        help_text="The operator's own id for this customer (used by the usage API).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        rls_policies = [tenant_policy("id")]

    def __str__(self):
        return self.name


class TenantModel(RLSModel):
    """Base for every table that holds an account's data: account_id plus the policy."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True
        rls_policies = [tenant_policy()]


class MembershipRole(models.TextChoices):
    OWNER = "owner", "Owner"
    BILLING_MANAGER = "billing_manager", "Billing manager"
    VIEWER = "viewer", "Viewer"


class Membership(TenantModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=MembershipRole.choices, default=MembershipRole.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "user"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} @ {self.account} ({self.role})"
