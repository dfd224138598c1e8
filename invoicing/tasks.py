"""Thin Celery tasks: each calls a service (run in the operator scope by billing.jobs.OperatorTask)."""

from celery import shared_task

from billing.jobs import OperatorTask


@shared_task(base=OperatorTask, name="invoicing.invoice_render_pdf", ignore_result=True,
             autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def invoice_render_pdf(invoice_id: int) -> None:
    from invoicing.services.documents import invoice_pdf_store

    invoice_pdf_store(invoice_id=invoice_id)


@shared_task(base=OperatorTask, name="invoicing.invoice_render_pdfs", ignore_result=True)
def invoice_render_pdfs(invoice_ids: list[int]) -> None:
    """A finalized chunk's PDFs: one message for the bill run to send, one render task each from here."""
    for invoice_id in invoice_ids:
        invoice_render_pdf.delay(invoice_id)


@shared_task(base=OperatorTask, name="invoicing.credit_note_render_pdf", ignore_result=True,
             autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def credit_note_render_pdf(credit_note_id: int) -> None:
    from invoicing.services.documents import credit_note_pdf_store

    credit_note_pdf_store(credit_note_id=credit_note_id)


@shared_task(base=OperatorTask, name="invoicing.finalize_due", ignore_result=True)
def finalize_due() -> int:
    from invoicing.services import invoices_finalize_due

    return invoices_finalize_due()


@shared_task(base=OperatorTask, name="invoicing.mark_overdue", ignore_result=True)
def mark_overdue() -> int:
    from invoicing.services import invoices_mark_overdue

    return invoices_mark_overdue()


@shared_task(base=OperatorTask, name="invoicing.bill_run", ignore_result=True)
def bill_run() -> int:
    from invoicing.services.bill_runs import bill_run_start

    return bill_run_start().pk


@shared_task(base=OperatorTask, name="invoicing.bill_run_chunk", ignore_result=True, acks_late=True)
def bill_run_chunk(run_id: int, subscription_ids: list[int], at: str) -> dict:
    from django.utils.dateparse import parse_datetime

    from invoicing.services.bill_runs import bill_run_chunk_process

    return bill_run_chunk_process(run_id=run_id, subscription_ids=subscription_ids, at=parse_datetime(at))


@shared_task(base=OperatorTask, name="invoicing.bill_run_retry_chunk", ignore_result=True, acks_late=True)
def bill_run_retry_chunk(run_id: int, failure_ids: list[int], at: str) -> dict:
    from django.utils.dateparse import parse_datetime

    from invoicing.services.bill_runs import bill_run_retry_process

    return bill_run_retry_process(run_id=run_id, failure_ids=failure_ids, at=parse_datetime(at))


@shared_task(base=OperatorTask, name="invoicing.bill_opening", ignore_result=True,
             autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def bill_opening(subscription_id: int) -> None:
    from invoicing.services.subscriptions import subscription_bill_opening

    subscription_bill_opening(subscription_id=subscription_id)


@shared_task(base=OperatorTask, name="invoicing.renewal_reminders", ignore_result=True)
def renewal_reminders() -> int:
    from invoicing.services.reminders import renewal_reminders_record

    return renewal_reminders_record()


@shared_task(base=OperatorTask, name="invoicing.invoice_reminders", ignore_result=True)
def invoice_reminders() -> int:
    from invoicing.services.invoice_reminders import invoice_reminders_send

    return invoice_reminders_send()
