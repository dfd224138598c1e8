"""The account's customer object at a gateway (a Stripe customer id)."""

from django.db import models

from billing.models import TenantModel


class GatewayCustomer(TenantModel):
    gateway = models.CharField(max_length=16)
    customer_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the customer was deleted at the gateway (customer.deleted); a new one is made on next use.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gateway", "customer_id"], name="gateway_customer_unique_id"),
            models.UniqueConstraint(fields=["account", "gateway"], condition=models.Q(deleted_at__isnull=True),
                                    name="gateway_customer_one_live_per_account"),
        ]

    def __str__(self):
        return f"{self.gateway}:{self.customer_id}"
