"""Thin Celery tasks: each one calls a service."""

from celery import shared_task

from billing.outbox import outbox_deliver_batch


@shared_task(name="billing.outbox_deliver", ignore_result=True)
def outbox_deliver() -> int:
    total = 0
    while True:
        delivered = outbox_deliver_batch()
        total += delivered
        if delivered == 0:
            return total


@shared_task(name="billing.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Lets /health and the operator see that beat and a worker are alive."""
    from django.core.cache import cache
    from django.utils import timezone

    stamp = timezone.now().isoformat()
    cache.set("billing:worker-heartbeat", stamp, timeout=3600)
    return stamp


@shared_task(name="billing.subscriptions_roll", ignore_result=True)
def subscriptions_roll() -> dict:
    """Trial notices and ends, automatic resumes, unbilled paused periods, stale incompletes."""
    from billing.services import subscriptions_roll as roll

    return roll()


@shared_task(name="billing.credits_expire", ignore_result=True)
def credits_expire() -> int:
    from billing.services import credits_expire as expire

    return expire()


@shared_task(name="billing.signin_throttles_prune", ignore_result=True)
def signin_throttles_prune() -> int:
    from billing.services.signin import signin_throttles_prune as prune

    return prune()


@shared_task(name="billing.metrics_refresh", ignore_result=True)
def metrics_refresh() -> list[str]:
    """The gauges that need queries (MRR, subscriptions, outbox lag, invoice aging ...), for /metrics to read."""
    from billing.metric_store import gauges_refresh

    return gauges_refresh()
