"""Stripe webhooks: verify, store raw, acknowledge at once, process in Celery (see docs/payments.md)."""
