"""Reads for invoicing: invoices for an account or the operator, the tax that applies, tax rates, balances."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from billing.models import Account
from invoicing import conf
from invoicing.customers import customer_details
from invoicing.models import (
    BillRunFailure,
    CreditMethod,
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    CustomerInvoicing,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    TaxRate,
)
from invoicing.taxes import TaxTreatment, active_rates, customer_tax_treatment, line_tax


def invoicing_preferences(account: Account) -> CustomerInvoicing | None:
    return CustomerInvoicing.objects.filter(account=account).first()


_UNSET = object()


def _operator_country() -> str:
    return conf.operator().get("country", "")


def tax_treatment_for(account: Account, *, details=None, prefs=_UNSET) -> TaxTreatment:
    """The account's tax (`customer_tax_treatment`), its details and preferences read unless given."""
    details = details or customer_details(account)
    prefs = invoicing_preferences(account) if prefs is _UNSET else prefs
    return customer_tax_treatment(details, prefs, rates=active_rates(), operator_country=_operator_country())


def tax_contexts_for_many(accounts) -> dict[int, tuple]:
    """{account id: (CustomerDetails, CustomerInvoicing | None, TaxTreatment)} for many accounts in
    three queries (profiles, preferences, rates): what `customer_details`, `invoicing_preferences`
    and `tax_treatment_for` give one by one (the same `customer_tax_treatment` decides the tax)."""
    from billing.models import BillingProfile
    from invoicing.customers import details_from_profile

    accounts = {a.pk: a for a in accounts}
    if not accounts:
        return {}
    profiles = {p.account_id: p for p in BillingProfile.objects.filter(account_id__any=list(accounts))}
    prefs = {p.account_id: p for p in CustomerInvoicing.objects.filter(account_id__any=list(accounts))}
    rates, operator_country = active_rates(), _operator_country()
    result = {}
    for pk, account in accounts.items():
        details, pref = details_from_profile(account, profiles.get(pk)), prefs.get(pk)
        result[pk] = (details, pref, customer_tax_treatment(details, pref, rates=rates,
                                                            operator_country=operator_country))
    return result


def net_terms_days(account: Account | None = None, *, prefs=_UNSET) -> int:
    """Days from issue to due: the account's preference, else NET_TERMS_DAYS (given `prefs`, no query)."""
    prefs = invoicing_preferences(account) if prefs is _UNSET else prefs
    if prefs and prefs.net_terms_days is not None:
        return prefs.net_terms_days
    return conf.settings.INVOICE_NET_TERMS_DAYS


def invoices_for(*, account_id: int | None = None, status: str | None = None, created_from: date | None = None,
                 created_to: date | None = None) -> QuerySet[Invoice]:
    """Invoices, newest first; account_id None = every account the scope allows (operator)."""
    qs = Invoice.objects.all()
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if status:
        qs = qs.filter(status=status)
    if created_from:
        qs = qs.filter(created_at__date__gte=created_from)
    if created_to:
        qs = qs.filter(created_at__date__lte=created_to)
    return qs.order_by("-id")


def invoice_with_lines(*, invoice_id: int, account_id: int | None = None) -> Invoice | None:
    qs = Invoice.objects.prefetch_related("lines", "discounts", "credit_notes")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.filter(pk=invoice_id).first()


def credit_note_with_lines(*, credit_note_id: int, account_id: int | None = None) -> CreditNote | None:
    qs = CreditNote.objects.select_related("invoice", "invoice__account").prefetch_related("lines")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.filter(pk=credit_note_id).first()


def credit_notes_for(*, account_id: int | None = None) -> QuerySet[CreditNote]:
    qs = CreditNote.objects.select_related("invoice")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs.order_by("-id")


def open_invoices_past_due(*, today: date) -> QuerySet[Invoice]:
    return Invoice.objects.filter(status=InvoiceStatus.OPEN, due_date__lt=today, overdue_at__isnull=True)


def bill_run_failures_open() -> list[tuple]:
    """Every unresolved bill-run failure as (id, subscription id, failed period's start, next attempt
    or None, the subscription's current period start): few rows, read once per bill run."""
    return list(BillRunFailure.objects.filter(resolved_at__isnull=True).order_by("id").values_list(
        "id", "subscription_id", "period_start", "next_attempt_at", "subscription__current_period_start"))


def tax_rates_all(*, country: str | None = None, is_active: bool | None = None) -> QuerySet[TaxRate]:
    qs = TaxRate.objects.all()
    if country:
        qs = qs.filter(country=country.upper())
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    return qs


def tax_rate_invoiced(tax_rate: TaxRate) -> bool:
    """Whether a finalized invoice (any status but draft) carries the rate. Needs the operator scope."""
    return InvoiceLine.objects.filter(tax_rate=tax_rate).exclude(invoice__status=InvoiceStatus.DRAFT).exists()


def tax_rate_active_at(*, country: str, region: str, excluding: int | None = None) -> TaxRate | None:
    """The active rate for this place (region compared as the tax choice compares it, case aside)."""
    qs = TaxRate.objects.filter(is_active=True, country=country, region__iexact=region.strip())
    if excluding is not None:
        qs = qs.exclude(pk=excluding)
    return qs.first()


def invoice_credit_left(*, invoice: Invoice) -> int:
    """What credit notes may still take off the invoice, tax included, line by line as
    `credit_note_create` counts it (minor units)."""
    credited = dict(CreditNoteLine.objects.filter(credit_note__invoice=invoice,
                                                  credit_note__status=CreditNoteStatus.ISSUED)
                    .values("invoice_line_id").annotate(net=Sum("amount")).values_list("invoice_line_id", "net"))
    left = 0
    for line in invoice.lines.all():
        net = line.amount - line.discount_amount - (credited.get(line.pk) or 0)
        tax = 0 if line.tax_inclusive else line_tax(net, Decimal(line.tax_percentage), False)
        left += max(0, net + tax)
    return left


def invoice_refunded_by_credit_notes(*, invoice: Invoice) -> int:
    """What refund credit notes already paid back on the invoice (minor units)."""
    return (invoice.credit_notes.filter(status=CreditNoteStatus.ISSUED, credit_method=CreditMethod.REFUND)
            .aggregate(total=Sum("total"))["total"] or 0)


def line_metrics(lines) -> dict:
    """The billable metrics of these invoice lines' usage, by code: their names and units describe the lines."""
    from billing.models import BillableMetric

    codes = {line.metric_code for line in lines if line.metric_code}
    return {metric.code: metric for metric in BillableMetric.objects.filter(code__in=codes)} if codes else {}
