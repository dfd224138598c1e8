"""Thin Celery tasks: each one calls a service."""

from celery import shared_task


@shared_task(name="analytics.mrr_snapshot", ignore_result=True)
def mrr_snapshot() -> str:
    """Today's MRR snapshot and this month's figures (safe to run twice: the day's rows are replaced)."""
    from analytics.services import mrr_snapshot_take

    return str(mrr_snapshot_take().day)
