"""Standard Webhooks v1 signatures (https://www.standardwebhooks.com), with the reference library.

`webhook-signature` carries one `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret in use:
the endpoint's secret and, for 24 hours after a rotation, the previous one too, so a receiver can
switch secrets at its own pace. `webhook-timestamp` is the wall clock's, not the billing clock's:
receivers refuse a timestamp more than five minutes from their own time.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signed_headers(*, message_id: str, body: bytes, secrets_in_use: list[str], at: datetime) -> dict[str, str]:
    signatures = [Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body) for secret in secrets_in_use]
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": " ".join(signatures)}
