"""Thin Celery tasks: each one calls a service (they run in the operator scope, billing.jobs)."""

from celery import shared_task

from metering.services.alerts import usage_alerts_evaluate
from metering.services.retention import (
    usage_fine_rollups_prune,
    usage_keys_prune,
    usage_partitions_maintain,
)
from metering.services.rollups import usage_rollups_advance


@shared_task(name="metering.usage_rollups_advance", ignore_result=True)
def rollups_advance() -> str | None:
    through = usage_rollups_advance()
    return through.isoformat() if through else None


@shared_task(name="metering.usage_partitions_maintain", ignore_result=True)
def partitions_maintain() -> dict:
    return usage_partitions_maintain()


@shared_task(name="metering.usage_keys_prune", ignore_result=True)
def keys_prune() -> int:
    return usage_keys_prune()


@shared_task(name="metering.usage_fine_rollups_prune", ignore_result=True)
def fine_rollups_prune() -> int:
    return usage_fine_rollups_prune()


@shared_task(name="metering.usage_alerts_evaluate", ignore_result=True)
def alerts_evaluate() -> int:
    return usage_alerts_evaluate()
