"""A small client for operator services: check quotas before work, send usage after it.

Standard library only, so any Python service can vendor or install it:

    from billing_client import BillingClient, UsageSender

    client = BillingClient("https://billing.example.com", api_key="bk_...")
    decision = client.check("api_calls", external_customer_id="acme")
    if not decision.allowed:
        ...  # answer 429 with decision.retry_after
    sender = UsageSender(client)            # one per process; a background thread
    sender.record("api_calls", external_customer_id="acme", idempotency_key=request_id)

`UsageSender.record` never blocks the caller: events are queued and sent in
batches of up to 1,000 by a background thread, retried with the same idempotency
keys (so a retry never counts twice). Django: see `billing_client.django`.
"""

from .client import BillingClient, BillingClientError, QuotaDecision
from .sender import UsageSender

__all__ = ["BillingClient", "BillingClientError", "QuotaDecision", "UsageSender"]
