"""The document as a UBL 2.1 Invoice or CreditNote following EN 16931, with Peppol BIS Billing 3.0's
customization and profile ids. Elements in the order the UBL schema wants them."""

from __future__ import annotations

from datetime import date

from lxml import etree

from invoicing.einvoice.model import Document, Line, Party, VatCategory, amount_text, decimal_text

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
_NS = {"cac": CAC, "cbc": CBC}


def _el(parent, tag: str, text=None, **attrs):
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{_NS[prefix]}}}{name}", {k: v for k, v in attrs.items() if v})
    if text is not None:
        node.text = text.isoformat() if isinstance(text, date) else str(text)
    return node


def ubl_xml(doc: Document) -> bytes:
    credit = doc.is_credit_note
    root_ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}",
                         nsmap={None: root_ns, "cac": CAC, "cbc": CBC})
    cur = {"currencyID": doc.currency}
    _el(root, "cbc:CustomizationID", CUSTOMIZATION)
    _el(root, "cbc:ProfileID", PROFILE)
    _el(root, "cbc:ID", doc.number)
    _el(root, "cbc:IssueDate", doc.issue_date)
    if doc.due_date and not credit:
        _el(root, "cbc:DueDate", doc.due_date)
    _el(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", doc.type_code)
    for note in doc.notes:
        _el(root, "cbc:Note", note)
    _el(root, "cbc:DocumentCurrencyCode", doc.currency)
    if doc.buyer_reference:
        _el(root, "cbc:BuyerReference", doc.buyer_reference)
    _period(root, doc.period_start, doc.period_end)
    if doc.preceding_number:
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", doc.preceding_number)
        if doc.preceding_date:
            _el(reference, "cbc:IssueDate", doc.preceding_date)
    _party(_el(root, "cac:AccountingSupplierParty"), doc.seller)
    _party(_el(root, "cac:AccountingCustomerParty"), doc.buyer)
    payment = doc.payment
    if payment and payment.means_code:
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", payment.means_code)
        if payment.reference:
            _el(means, "cbc:PaymentID", payment.reference)
        if payment.iban:
            account = _el(means, "cac:PayeeFinancialAccount")
            _el(account, "cbc:ID", payment.iban)
            if payment.account_name:
                _el(account, "cbc:Name", payment.account_name)
            if payment.bic:
                _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", payment.bic)
    if payment and payment.terms:
        _el(_el(root, "cac:PaymentTerms"), "cbc:Note", payment.terms)
    for allowance in doc.allowances:
        node = _el(root, "cac:AllowanceCharge")
        _el(node, "cbc:ChargeIndicator", "false")
        _el(node, "cbc:AllowanceChargeReasonCode", allowance.reason_code)
        _el(node, "cbc:AllowanceChargeReason", allowance.reason)
        _el(node, "cbc:Amount", amount_text(allowance.amount), **cur)
        _tax_category(node, "cac:TaxCategory", allowance.vat)
    tax_total = _el(root, "cac:TaxTotal")
    _el(tax_total, "cbc:TaxAmount", amount_text(doc.totals.tax_total), **cur)
    for entry in doc.vat_breakdown:
        subtotal = _el(tax_total, "cac:TaxSubtotal")
        _el(subtotal, "cbc:TaxableAmount", amount_text(entry.taxable), **cur)
        _el(subtotal, "cbc:TaxAmount", amount_text(entry.tax), **cur)
        _tax_category(subtotal, "cac:TaxCategory", entry.category, with_reason=True)
    totals = doc.totals
    monetary = _el(root, "cac:LegalMonetaryTotal")
    _el(monetary, "cbc:LineExtensionAmount", amount_text(totals.line_total), **cur)
    _el(monetary, "cbc:TaxExclusiveAmount", amount_text(totals.tax_exclusive), **cur)
    _el(monetary, "cbc:TaxInclusiveAmount", amount_text(totals.grand_total), **cur)
    if doc.allowances:
        _el(monetary, "cbc:AllowanceTotalAmount", amount_text(totals.allowance_total), **cur)
    if totals.prepaid:
        _el(monetary, "cbc:PrepaidAmount", amount_text(totals.prepaid), **cur)
    _el(monetary, "cbc:PayableAmount", amount_text(totals.due), **cur)
    for line in doc.lines:
        _line(root, line, doc.currency, credit)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _line(root, line: Line, currency: str, credit: bool) -> None:
    node = _el(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
    _el(node, "cbc:ID", line.id)
    if line.note:
        _el(node, "cbc:Note", line.note)
    _el(node, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", decimal_text(line.quantity),
        unitCode=line.unit_code)
    _el(node, "cbc:LineExtensionAmount", amount_text(line.net_amount), currencyID=currency)
    _period(node, line.period_start, line.period_end)
    item = _el(node, "cac:Item")
    _el(item, "cbc:Name", line.name)
    _tax_category(item, "cac:ClassifiedTaxCategory", line.vat)
    _el(_el(node, "cac:Price"), "cbc:PriceAmount", decimal_text(line.net_price), currencyID=currency)


def _tax_category(parent, tag: str, vat: VatCategory, *, with_reason: bool = False) -> None:
    category = _el(parent, tag)
    _el(category, "cbc:ID", vat.code)
    if vat.rate is not None:
        _el(category, "cbc:Percent", decimal_text(vat.rate))
    if with_reason and vat.exemption_code:
        _el(category, "cbc:TaxExemptionReasonCode", vat.exemption_code)
    if with_reason and vat.exemption_reason:
        _el(category, "cbc:TaxExemptionReason", vat.exemption_reason)
    _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _period(parent, start: date | None, end: date | None) -> None:
    if start is None and end is None:
        return
    period = _el(parent, "cac:InvoicePeriod")
    if start:
        _el(period, "cbc:StartDate", start)
    if end:
        _el(period, "cbc:EndDate", end)


def _party(role, party: Party) -> None:
    node = _el(role, "cac:Party")
    if party.email:
        _el(node, "cbc:EndpointID", party.email, schemeID="EM")
    address = _el(node, "cac:PostalAddress")
    for name, value in (("StreetName", party.address.line1), ("AdditionalStreetName", party.address.line2),
                        ("CityName", party.address.city), ("PostalZone", party.address.postal_code),
                        ("CountrySubentity", party.address.region)):
        if value:
            _el(address, f"cbc:{name}", value)
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party.address.country)
    if party.vat_id:
        scheme = _el(node, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.vat_id)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    if party.tax_registration_id:
        scheme = _el(node, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.tax_registration_id)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "TAX")
    legal = _el(node, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.name)
    if party.legal_id:
        _el(legal, "cbc:CompanyID", party.legal_id, schemeID=party.legal_id_scheme)
    if party.legal_form:
        _el(legal, "cbc:CompanyLegalForm", party.legal_form)
