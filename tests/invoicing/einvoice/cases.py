"""The invoices of "Done when" (issue 18): one per currency and tax treatment, each with a coupon,
credit applied and a partial payment, finalized and rendered; and the XML read back for its totals."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal as D

from lxml import etree
from pypdf import PdfReader

from billing import clock
from invoicing.credits import credit_add
from invoicing.models import Invoice, TaxRate
from invoicing.services import invoice_create_draft, invoice_finalize, invoice_record_payment
from invoicing.services.documents import invoice_pdf_store
from pricing import Charge, Coupon, InvoiceInput, OneOff, Period, price_invoice
from tests.invoicing.factories import profile, utc

OPERATOR_VAT_ID = "FR44732829320"


@dataclass(frozen=True)
class Case:
    currency: str
    country: str
    category: str  # the EN 16931 VAT category the invoice must carry
    onboarding: str  # one-off line, major units
    storage_price: str  # per GB
    coupon: Coupon
    credit: int  # minor units
    payment: int  # minor units
    tax_id: str = ""
    rate: int | None = None  # a VAT rate for the buyer's country


CASES = {
    "usd-us-buyer-no-tax": Case("USD", "US", "G", "250.00", "0.02", Coupon("WELCOME10", percent_off=D(10)),
                                2000, 5000),
    "eur-french-buyer-vat-20": Case("EUR", "FR", "S", "250.00", "0.02", Coupon("WELCOME10", percent_off=D(10)),
                                    2000, 5000, tax_id="FR40303265045", rate=20),
    "eur-german-business-reverse-charge": Case("EUR", "DE", "AE", "250.00", "0.02",
                                               Coupon("WELCOME10", percent_off=D(10)), 2000, 5000,
                                               tax_id="DE136695976"),
    "eur-buyer-outside-the-eu": Case("EUR", "CH", "G", "250.00", "0.02", Coupon("WELCOME10", percent_off=D(10)),
                                     2000, 5000),
    "jpy": Case("JPY", "JP", "G", "25000", "2", Coupon("WELCOME10", percent_off=D(10)), 2000, 5000),
    # Dinars have three decimals, EN 16931 allows two (BR-DEC-*): amounts on whole tens of fils are
    # written with two; test_dinars_in_fils shows what happens to the others.
    "bhd": Case("BHD", "BH", "G", "95.500", "0.010", Coupon("FIVE", amount_off=5000), 10000, 20000),
}


def metric_storage():
    from billing.models import BillableMetric
    from metering.services import billable_metric_create

    return BillableMetric.objects.filter(code="storage_gb").first() or billable_metric_create(
        code="storage_gb", name="Storage", unit="GB", aggregation="sum")


def billed(account, case: Case, *, collection_method: str = "charge_automatically") -> Invoice:
    """Finalized, with credit applied and a partial payment, its PDF rendered as it now stands."""
    metric_storage()
    profile(account, country=case.country, tax_id=case.tax_id, city="Springfield", postal_code="12345")
    if case.rate is not None and not TaxRate.objects.filter(country=case.country, is_active=True).exists():
        TaxRate.objects.create(name=f"VAT {case.rate} %", country=case.country, percentage=D(case.rate))
    credit_add(account=account, currency=case.currency, amount=case.credit, reason="Goodwill")
    period = Period(utc(2026, 1, 1), utc(2026, 2, 1))
    priced = price_invoice(InvoiceInput(
        currency=case.currency, charges=(Charge("storage_gb", "standard", unit_price=D(case.storage_price),
                                                name="Storage"),),
        usage={("storage_gb", ""): D(1536)}, usage_period=period,
        one_offs=(OneOff("Onboarding", D(1), D(case.onboarding)),)))
    draft = invoice_create_draft(account=account, currency=case.currency, priced=priced, coupons=(case.coupon,),
                                 period_start=period.start, period_end=period.end,
                                 collection_method=collection_method)
    with clock.frozen(utc(2026, 2, 1, 9)):
        invoice = invoice_finalize(invoice=draft)
        invoice_record_payment(invoice=invoice, amount=case.payment, payment_reference=f"pi_{account.pk}")
    invoice_pdf_store(invoice_id=invoice.pk, force=True)
    invoice.refresh_from_db()
    return invoice


def pdf_bytes(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    reader = PdfReader(io.BytesIO(pdf))
    return {name: contents[0] for name, contents in (reader.attachments or {}).items()}


def xmp(pdf: bytes) -> bytes:
    reader = PdfReader(io.BytesIO(pdf))
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data()


CII_PATHS = {  # BT -> where CII keeps it
    "line_total": ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount",
    "allowance_total": ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:AllowanceTotalAmount",
    "tax_total": ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount",
    "grand_total": ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount",
    "prepaid": ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TotalPrepaidAmount",
    "due": ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount",
}
UBL_PATHS = {
    "line_total": "cac:LegalMonetaryTotal/cbc:LineExtensionAmount",
    "allowance_total": "cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount",
    "tax_total": "cac:TaxTotal/cbc:TaxAmount",
    "grand_total": "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
    "prepaid": "cac:LegalMonetaryTotal/cbc:PrepaidAmount",
    "due": "cac:LegalMonetaryTotal/cbc:PayableAmount",
}
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def totals(xml: bytes, syntax: str) -> dict[str, D]:
    """The document's totals as the XML states them (0 where it leaves one out)."""
    tree = etree.fromstring(xml)
    paths = CII_PATHS if syntax == "cii" else UBL_PATHS
    return {name: D(tree.findtext(path, "0", NS)) for name, path in paths.items()}


def line_amounts(xml: bytes, syntax: str) -> list[D]:
    tree = etree.fromstring(xml)
    path = (".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount" if syntax == "cii"
            else "cac:InvoiceLine/cbc:LineExtensionAmount|cac:CreditNoteLine/cbc:LineExtensionAmount")
    return [D(node.text) for node in tree.xpath(path, namespaces=NS)]
