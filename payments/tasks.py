"""Thin Celery tasks (operator scope, system actor: billing.jobs.OperatorTask); each calls a service."""

from celery import shared_task

from payments.services.methods import payment_method_expiry_warn_due
from payments.services.webhooks import webhook_event_process, webhook_events_process_due


@shared_task(name="payments.webhook_process", ignore_result=True)
def webhook_process(event_pk: int) -> None:
    webhook_event_process(event_pk=event_pk)


@shared_task(name="payments.webhook_process_due", ignore_result=True)
def webhook_process_due() -> int:
    return webhook_events_process_due()


@shared_task(name="payments.payment_method_expiry_warnings", ignore_result=True)
def payment_method_expiry_warnings() -> int:
    return payment_method_expiry_warn_due()
