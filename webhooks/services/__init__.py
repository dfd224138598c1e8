"""Every write of the webhooks app: endpoints (endpoints.py) and deliveries (deliveries.py)."""

from webhooks.services.deliveries import (
    deliveries_deliver_due,
    deliveries_fan_out,
    deliveries_replay_failed,
    delivery_attempt_record,
    delivery_replay,
)
from webhooks.services.endpoints import (
    endpoint_create,
    endpoint_delete,
    endpoint_disable,
    endpoint_secret_rotate,
    endpoint_update,
    secrets_in_use,
)

__all__ = [
    "deliveries_deliver_due",
    "deliveries_fan_out",
    "deliveries_replay_failed",
    "delivery_attempt_record",
    "delivery_replay",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_disable",
    "endpoint_secret_rotate",
    "endpoint_update",
    "secrets_in_use",
]
