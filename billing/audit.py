"""Recording audit entries in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.forms.models import model_to_dict

from billing.context import current_actor, request_id
from billing.models import AuditEntry


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe picture of a model instance for `before` / `after`."""
    data = model_to_dict(instance, fields=fields)
    data["id"] = instance.pk
    return _json_safe(data)


def _json_safe(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_record(
    *,
    action: str,
    instance: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    account_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append one audit entry. Call it inside the transaction of the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or instance.pk
        if account_id is None:
            account_id = getattr(instance, "account_id", None)
    actor = current_actor()
    return AuditEntry.objects.create(
        account_id=account_id,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_json_safe(before) if before is not None else None,
        after=_json_safe(after) if after is not None else None,
        ip_address=actor.ip_address,
        request_id=request_id(),
    )


def audit_record_many(entries: list[dict]) -> list[AuditEntry]:
    """Several audit entries in one INSERT, for set-based jobs (a bill-run chunk).

    Each item takes `audit_record`'s keyword arguments; the entries are the ones
    `audit_record` would write one by one, inside the caller's transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the transaction of the change it records")
    actor, rid = current_actor(), request_id()
    rows = []
    for entry in entries:
        instance = entry.get("instance")
        object_type, object_id = entry.get("object_type", ""), entry.get("object_id", "")
        account_id = entry.get("account_id")
        if instance is not None:
            object_type = object_type or instance._meta.label_lower
            object_id = object_id or instance.pk
            if account_id is None:
                account_id = getattr(instance, "account_id", None)
        before, after = entry.get("before"), entry.get("after")
        rows.append(AuditEntry(
            account_id=account_id, actor_type=actor.type, actor_id=actor.id, actor_label=actor.label,
            action=entry["action"], object_type=object_type, object_id=str(object_id),
            before=_json_safe(before) if before is not None else None,
            after=_json_safe(after) if after is not None else None,
            ip_address=actor.ip_address, request_id=rid,
        ))
    from billing.services.rows import rows_insert

    rows_insert(rows)
    return rows
