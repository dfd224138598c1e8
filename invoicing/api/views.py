"""Invoices over the API. Account keys see their own account's invoices; operator keys see
every account's and also finalize, void, mark paid or uncollectible, add one-off lines and
issue credit notes."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from billing.api.permissions import HasScope, OperatorOnly
from billing.api.strict import expect_no_fields, expect_no_parameters
from billing.api.views import ApiView
from billing.models import Account, ApiKey, Subscription
from invoicing import selectors, services
from invoicing.api import serializers as s
from invoicing.balance import account_balance
from invoicing.models import CreditNote, Invoice
from invoicing.upcoming import invoice_upcoming


def _account_id(request) -> int | None:
    key = request.auth
    return None if isinstance(key, ApiKey) and key.is_operator else key.account_id


def _invoice(request, invoice_id: int) -> Invoice:
    invoice = selectors.invoice_with_lines(invoice_id=invoice_id, account_id=_account_id(request))
    if invoice is None:
        raise Http404
    return invoice


class OperatorView(ApiView):
    permission_classes = [HasScope, OperatorOnly]
    required_scopes = "billing:write"


class InvoiceListView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="List invoices", parameters=[s.InvoiceListQuery], responses=s.InvoiceOutput(many=True))
    def get(self, request):
        """Invoices without their lines, newest first, filtered by `status` and creation date; an operator key
        may filter by `account_id`, an account key sees its own account's."""
        query = s.InvoiceListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        account_id = _account_id(request) if _account_id(request) is not None else data.get("account_id")
        invoices = selectors.invoices_for(account_id=account_id, status=data.get("status"),
                                          created_from=data.get("created_from"), created_to=data.get("created_to"))
        return self.paginated(request, invoices, s.InvoiceOutput)


class InvoiceDetailView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="Retrieve an invoice with its lines", responses=s.InvoiceDetailOutput)
    def get(self, request, invoice_id: int):
        """One invoice with its lines (each with the quantity, unit price, period and proration that make its
        amount), discounts, tax, the frozen customer and operator details, and its PDF's address."""
        return Response(s.InvoiceDetailOutput(_invoice(request, invoice_id)).data)


class InvoicePdfView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="Download an invoice's PDF (ETag; If-None-Match gives 304)",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY, 304: OpenApiResponse(description="Not modified")})
    def get(self, request, invoice_id: int):
        """The invoice as a PDF, once it is finalized; a draft has none (404). Send the `ETag` back in
        `If-None-Match` to get 304 when it has not changed."""
        from invoicing.services.documents import invoice_pdf_store

        invoice = _invoice(request, invoice_id)
        if invoice.status == "draft":
            raise Http404
        if not invoice.pdf or invoice.pdf_status != invoice.status:
            invoice = invoice_pdf_store(invoice_id=invoice.pk, force=True)  # not rendered yet: render now
        return pdf_response(request, invoice.pdf, invoice.pdf_etag, f"{invoice.number}.pdf")


def pdf_response(request, field, etag: str, filename: str) -> HttpResponse:
    quoted = f'"{etag}"'
    if quoted in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
    else:
        with field.open("rb") as handle:
            response = HttpResponse(handle.read(), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = quoted
    response["Cache-Control"] = "private, no-cache"
    return response


class InvoiceUpcomingView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="The upcoming invoice of a subscription (a dry run; nothing is written)",
                   parameters=[s.UpcomingQuery], responses=s.UpcomingOutput)
    def get(self, request):
        """What the subscription's next invoice would hold if its period ended now (fees, usage so far,
        discounts, tax), priced as the bill run prices it. Nothing is written; lines and discounts have no id.
        """
        query = s.UpcomingQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        subscriptions = Subscription.objects.select_related("plan", "account")
        if _account_id(request) is not None:
            subscriptions = subscriptions.filter(account_id=_account_id(request))
        subscription = subscriptions.filter(pk=query.validated_data["subscription_id"]).first()
        if subscription is None:
            raise Http404
        upcoming = invoice_upcoming(subscription=subscription)
        invoice = upcoming.invoice
        body = {
            "subscription_id": subscription.pk, "currency": invoice.currency, "period_start": invoice.period_start,
            "period_end": invoice.period_end,
            "next_period_start": upcoming.next_period.start if upcoming.next_period else None,
            "next_period_end": upcoming.next_period.end if upcoming.next_period else None,
            "subtotal": invoice.subtotal, "discount_total": invoice.discount_total, "tax_total": invoice.tax_total,
            "total": invoice.total, "tax_breakdown": invoice.tax_breakdown,
            "lines": s.UpcomingLineOutput(upcoming.lines, many=True).data,
            "discounts": s.UpcomingDiscountOutput(upcoming.discounts, many=True).data,
        }
        return Response(body)


class InvoiceFinalizeView(OperatorView):
    @extend_schema(summary="Finalize a draft now (operator)", request=None, responses=s.InvoiceDetailOutput)
    def post(self, request, invoice_id: int):
        """Finalize a draft now instead of after the grace period: it gets its number, freezes the customer,
        operator and tax details, applies credit, and is collected or waits for payment. Operator keys only;
        409 for an invoice that is not a draft."""
        expect_no_fields(request)
        invoice = services.invoice_finalize(invoice=_invoice(request, invoice_id))
        return Response(s.InvoiceDetailOutput(invoice).data)


class InvoiceVoidView(OperatorView):
    @extend_schema(summary="Void an open or uncollectible invoice (operator)", request=s.ReasonInput,
                   responses=s.InvoiceDetailOutput)
    def post(self, request, invoice_id: int):
        """Void an open or uncollectible invoice nobody paid: its number stays used and the credit it consumed
        goes back. Operator keys only."""
        data = s.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_void(invoice=_invoice(request, invoice_id), reason=data.validated_data["reason"])
        return Response(s.InvoiceDetailOutput(invoice).data)


class InvoiceMarkUncollectibleView(OperatorView):
    @extend_schema(summary="Mark an open invoice uncollectible (operator)", request=s.ReasonInput,
                   responses=s.InvoiceDetailOutput)
    def post(self, request, invoice_id: int):
        """Stop collecting an open invoice (dunning exhausted, or finance decides); a payment that still
        arrives pays it. Operator keys only."""
        data = s.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_mark_uncollectible(invoice=_invoice(request, invoice_id),
                                                      reason=data.validated_data["reason"])
        return Response(s.InvoiceDetailOutput(invoice).data)


class InvoiceMarkPaidView(OperatorView):
    @extend_schema(summary="Mark paid out of band, e.g. bank transfer (operator)", request=s.MarkPaidInput,
                   responses=s.InvoiceDetailOutput)
    def post(self, request, invoice_id: int):
        """Record that the amount due was paid outside the platform (bank transfer, cheque), with its
        reference. Operator keys only."""
        data = s.MarkPaidInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = services.invoice_mark_paid(invoice=_invoice(request, invoice_id),
                                             reference=data.validated_data["reference"])
        return Response(s.InvoiceDetailOutput(invoice).data)


class InvoiceLineAddView(OperatorView):
    @extend_schema(summary="Add a one-off line to a draft (operator)", request=s.LineAddInput,
                   responses={201: s.InvoiceDetailOutput})
    def post(self, request, invoice_id: int):
        """Add a one-off line to a draft: a description, a unit price in major units (negative for a credit)
        and a quantity; the draft is priced again. Operator keys only."""
        data = s.LineAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = _invoice(request, invoice_id)
        services.invoice_line_add(invoice=invoice, **data.validated_data)
        return Response(s.InvoiceDetailOutput(_invoice(request, invoice_id)).data, status=status.HTTP_201_CREATED)


class InvoiceLineRemoveView(OperatorView):
    @extend_schema(summary="Remove a line from a draft (operator)", request=None, responses=s.InvoiceDetailOutput)
    def delete(self, request, invoice_id: int, line_id: int):
        """Remove a line from a draft and answer the draft priced again. Operator keys only."""
        expect_no_fields(request)
        services.invoice_line_remove(invoice=_invoice(request, invoice_id), line_id=line_id)
        return Response(s.InvoiceDetailOutput(_invoice(request, invoice_id)).data)


class InvoiceDiscountAddView(OperatorView):
    @extend_schema(summary="Add a discount to a draft (operator)", request=s.DiscountAddInput,
                   responses={201: s.InvoiceDetailOutput})
    def post(self, request, invoice_id: int):
        """Add a discount to a draft, a percentage or an amount in minor units off the subtotal before tax.
        Operator keys only."""
        data = s.DiscountAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.invoice_discount_add(invoice=_invoice(request, invoice_id), **data.validated_data)
        return Response(s.InvoiceDetailOutput(_invoice(request, invoice_id)).data, status=status.HTTP_201_CREATED)


class InvoiceDiscountRemoveView(OperatorView):
    @extend_schema(summary="Remove a discount from a draft (operator)", request=None, responses=s.InvoiceDetailOutput)
    def delete(self, request, invoice_id: int, discount_id: int):
        """Remove a discount from a draft and answer the draft priced again. Operator keys only."""
        expect_no_fields(request)
        services.invoice_discount_remove(invoice=_invoice(request, invoice_id), discount_id=discount_id)
        return Response(s.InvoiceDetailOutput(_invoice(request, invoice_id)).data)


class CreditNoteCreateView(OperatorView):
    @extend_schema(summary="Issue a credit note against a finalized invoice (operator)",
                   request=s.CreditNoteCreateInput, responses={201: s.CreditNoteOutput})
    def post(self, request, invoice_id: int):
        """Credit part or all of a finalized invoice: given lines (net amounts), or a gross amount spread over
        the lines. The credit reduces what is still due, goes to the account's balance, or is refunded
        (`credit_method`). Operator keys only."""
        data = s.CreditNoteCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        note = services.credit_note_create(
            invoice=_invoice(request, invoice_id), reason=values["reason"],
            lines=[dict(line) for line in values["lines"]] if "lines" in values else None,
            amount=values.get("amount"), credit_method=values.get("credit_method"))
        return Response(s.CreditNoteOutput(note).data, status=status.HTTP_201_CREATED)


class CreditNoteListView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="List credit notes", responses=s.CreditNoteOutput(many=True))
    def get(self, request):
        """Credit notes with their lines, newest first; an account key sees its own account's."""
        expect_no_parameters(request)
        notes = selectors.credit_notes_for(account_id=_account_id(request)).prefetch_related("lines")
        return self.paginated(request, notes, s.CreditNoteOutput)


class CreditNotePdfView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="Download a credit note's PDF", responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, credit_note_id: int):
        """The credit note as a PDF."""
        from invoicing.services.documents import credit_note_pdf_store

        notes = CreditNote.objects.all()
        if _account_id(request) is not None:
            notes = notes.filter(account_id=_account_id(request))
        note = notes.filter(pk=credit_note_id).first()
        if note is None:
            raise Http404
        if not note.pdf:
            note = credit_note_pdf_store(credit_note_id=note.pk)
        return pdf_response(request, note.pdf, note.pdf_etag, f"{note.number}.pdf")


class AccountBalanceView(ApiView):
    required_scopes = "billing:read"

    @extend_schema(summary="An account's balance", responses=s.AccountBalanceOutput)
    def get(self, request, account_id: int):
        """What the account owes on its invoices and the credit it holds, per currency (minor units): the same
        figures the console shows and the daily ledger check verifies. An account key sees its own account's."""
        expect_no_parameters(request)
        own = _account_id(request)
        if own is not None and own != account_id:
            raise Http404
        if not Account.objects.filter(pk=account_id).exists():
            raise Http404
        balances = [b.as_dict() for b in account_balance(account_id=account_id).values()]
        return Response(s.AccountBalanceOutput({"account_id": account_id, "balances": balances}).data)
