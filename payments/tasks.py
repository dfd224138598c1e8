"""Thin Celery tasks (operator scope, system actor: billing.jobs.OperatorTask); each calls a service."""

from celery import shared_task

from payments.services.charging import payment_collect, payments_pending_resolve
from payments.services.dunning import dunning_retry_due, dunning_retry_now
from payments.services.methods import payment_method_expiry_warn_due
from payments.services.reconciliation import reconciliation_daily
from payments.services.refunds import refunds_pending_resend
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


@shared_task(name="payments.invoice_collect", ignore_result=True)
def invoice_collect(invoice_id: int) -> None:
    payment_collect(invoice_id=invoice_id)


@shared_task(name="payments.collect_uncollected", ignore_result=True)
def collect_uncollected() -> int:
    from payments.services.collection import invoices_collect_missed

    return invoices_collect_missed()


@shared_task(name="payments.janitor", ignore_result=True)
def janitor() -> int:
    return payments_pending_resolve() + refunds_pending_resend()


@shared_task(name="payments.dunning_retry_due", ignore_result=True)
def dunning_retry() -> int:
    return dunning_retry_due()


@shared_task(name="payments.dunning_retry_account", ignore_result=True)
def dunning_retry_account(account_id: int, payment_method_id: int | None = None) -> int:
    """A payment method was added: retry invoices in dunning on it, and charge those that were waiting for one."""
    from payments.services.collection import invoices_collect_for_account

    return (dunning_retry_now(account_id=account_id, payment_method_id=payment_method_id)
            + invoices_collect_for_account(account_id=account_id))


@shared_task(name="payments.reconciliation_daily", ignore_result=True)
def reconciliation_daily_run() -> int:
    return reconciliation_daily().pk


@shared_task(name="payments.ledger_check_daily", ignore_result=True)
def ledger_check_daily_run() -> dict:
    from payments.services.ledger import ledger_check_daily

    checked, different = ledger_check_daily()
    return {"accounts checked": checked, "with a difference": different}


@shared_task(name="payments.dunning_open_unpaid", ignore_result=True)
def dunning_open_unpaid() -> int:
    from payments.services.dunning import dunning_open_unpaid as open_unpaid

    return open_unpaid()


@shared_task(name="payments.overdue_policy_apply", ignore_result=True)
def overdue_policy_apply() -> int:
    from payments.services.overdue import overdue_policy_apply as apply

    return apply()
