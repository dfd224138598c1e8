"""API keys: shown once, stored as a SHA-256 hash, looked up by a public prefix."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from .accounts import Account, TenantModel


class ApiScope(models.TextChoices):
    USAGE_WRITE = "usage:write", "Send usage events"
    USAGE_READ = "usage:read", "Read usage and quotas"
    BILLING_READ = "billing:read", "Read billing data"
    BILLING_WRITE = "billing:write", "Change billing data"
    ADMIN = "admin", "Everything, including operator actions"


class ApiKey(TenantModel):
    # Operator keys have no account and act in the operator scope.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(models.CharField(max_length=32, choices=ApiScope.choices), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        # Kept out of the finance groups (billing/roles.py): granted to a person by hand, or a superuser.
        permissions = [("mint_admin_keys", "Can mint API keys with the admin scope")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_operator(self) -> bool:
        return self.account_id is None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return ApiScope.ADMIN in self.scopes or scope in self.scopes
