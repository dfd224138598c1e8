"""`Stripe-Signature` verification: HMAC-SHA256 of `<t>.<body>` with the endpoint secret.

Stripe's SDK checks the signature and refuses timestamps older than the tolerance;
we also refuse timestamps more than the tolerance in the future, so a captured
payload signed with a forged clock cannot be replayed later.
"""

from __future__ import annotations

import time

import stripe


class BadSignature(Exception):
    pass


def verify(*, payload: bytes, header: str | None, secret: str, tolerance: int, now: float | None = None) -> None:
    if not secret:
        raise BadSignature("No webhook secret is configured (STRIPE_WEBHOOK_SECRET).")
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=tolerance)
        timestamp = int(dict(part.split("=", 1) for part in header.split(",") if "=" in part)["t"])
    except (stripe.SignatureVerificationError, KeyError, ValueError) as exc:
        raise BadSignature(str(exc).split("\n")[0]) from exc
    if timestamp > (now if now is not None else time.time()) + tolerance:
        raise BadSignature("The signature's timestamp is in the future.")
