"""The document as UN/CEFACT Cross Industry Invoice D16B, Factur-X/ZUGFeRD profile EN 16931 (the XML
inside the PDF). Elements in the order the schema wants them; BT numbers in `model.py`."""

from __future__ import annotations

from datetime import date

from lxml import etree

from invoicing.einvoice.model import Document, Line, Party, VatCategory, amount_text, decimal_text

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931_PROFILE = "urn:cen.eu:en16931:2017"  # Factur-X's EN 16931 ("Comfort") profile


def _el(parent, tag: str, text=None, **attrs):
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", {k: v for k, v in attrs.items() if v})
    if text is not None:
        node.text = str(text)
    return node


def _date(parent, tag: str, value: date, ns: str = "udt") -> None:
    _el(_el(parent, tag), f"{ns}:DateTimeString", value.strftime("%Y%m%d"), format="102")


def cii_xml(doc: Document) -> bytes:
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931_PROFILE)
    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", doc.number)
    _el(header, "ram:TypeCode", doc.type_code)
    _date(header, "ram:IssueDateTime", doc.issue_date)
    for note in doc.notes:
        _el(_el(header, "ram:IncludedNote"), "ram:Content", note)
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in doc.lines:
        _line(transaction, line)
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if doc.buyer_reference:
        _el(agreement, "ram:BuyerReference", doc.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", doc.seller)
    _party(agreement, "ram:BuyerTradeParty", doc.buyer)
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    _settlement(transaction, doc)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _line(transaction, line: Line) -> None:
    item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
    line_doc = _el(item, "ram:AssociatedDocumentLineDocument")
    _el(line_doc, "ram:LineID", line.id)
    if line.note:
        _el(_el(line_doc, "ram:IncludedNote"), "ram:Content", line.note)
    _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
    price = _el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
    _el(price, "ram:ChargeAmount", decimal_text(line.net_price))
    _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", decimal_text(line.quantity),
        unitCode=line.unit_code)
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    _tax_category(settlement, "ram:ApplicableTradeTax", line.vat)
    _period(settlement, line.period_start, line.period_end)
    _el(_el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
        amount_text(line.net_amount))


def _tax_category(parent, tag: str, vat: VatCategory) -> None:
    tax = _el(parent, tag)
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", vat.code)
    if vat.rate is not None:
        _el(tax, "ram:RateApplicablePercent", decimal_text(vat.rate))


def _period(parent, start: date | None, end: date | None) -> None:
    if start is None and end is None:
        return
    period = _el(parent, "ram:BillingSpecifiedPeriod")
    if start:
        _date(period, "ram:StartDateTime", start)
    if end:
        _date(period, "ram:EndDateTime", end)


def _party(agreement, tag: str, party: Party) -> None:
    node = _el(agreement, tag)
    _el(node, "ram:Name", party.name)
    if party.legal_form:
        _el(node, "ram:Description", party.legal_form)
    if party.legal_id:
        _el(_el(node, "ram:SpecifiedLegalOrganization"), "ram:ID", party.legal_id, schemeID=party.legal_id_scheme)
    address = _el(node, "ram:PostalTradeAddress")
    for name, value in (("PostcodeCode", party.address.postal_code), ("LineOne", party.address.line1),
                        ("LineTwo", party.address.line2), ("CityName", party.address.city),
                        ("CountryID", party.address.country),
                        ("CountrySubDivisionName", party.address.region)):
        if value:
            _el(address, f"ram:{name}", value)
    if party.email:
        _el(_el(node, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
    if party.vat_id:
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
    if party.tax_registration_id:
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_registration_id, schemeID="FC")


def _settlement(transaction, doc: Document) -> None:
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    payment = doc.payment
    if payment and payment.reference:
        _el(settlement, "ram:PaymentReference", payment.reference)
    _el(settlement, "ram:InvoiceCurrencyCode", doc.currency)
    if payment and payment.means_code:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", payment.means_code)
        if payment.iban:
            account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
            _el(account, "ram:IBANID", payment.iban)
            if payment.account_name:
                _el(account, "ram:AccountName", payment.account_name)
        if payment.bic:
            _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", payment.bic)
    for entry in doc.vat_breakdown:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", amount_text(entry.tax))
        _el(tax, "ram:TypeCode", "VAT")
        if entry.category.exemption_reason:
            _el(tax, "ram:ExemptionReason", entry.category.exemption_reason)
        _el(tax, "ram:BasisAmount", amount_text(entry.taxable))
        _el(tax, "ram:CategoryCode", entry.category.code)
        if entry.category.exemption_code:
            _el(tax, "ram:ExemptionReasonCode", entry.category.exemption_code)
        if entry.category.rate is not None:
            _el(tax, "ram:RateApplicablePercent", decimal_text(entry.category.rate))
    _period(settlement, doc.period_start, doc.period_end)
    for allowance in doc.allowances:
        node = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _el(_el(node, "ram:ChargeIndicator"), "udt:Indicator", "false")
        _el(node, "ram:ActualAmount", amount_text(allowance.amount))
        _el(node, "ram:ReasonCode", allowance.reason_code)
        _el(node, "ram:Reason", allowance.reason)
        _tax_category(node, "ram:CategoryTradeTax", allowance.vat)
    if doc.due_date or (payment and payment.terms):
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        if payment and payment.terms:
            _el(terms, "ram:Description", payment.terms)
        if doc.due_date:
            _date(terms, "ram:DueDateDateTime", doc.due_date)
    totals = doc.totals
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", amount_text(totals.line_total))
    if doc.allowances:
        _el(summation, "ram:AllowanceTotalAmount", amount_text(totals.allowance_total))
    _el(summation, "ram:TaxBasisTotalAmount", amount_text(totals.tax_exclusive))
    _el(summation, "ram:TaxTotalAmount", amount_text(totals.tax_total), currencyID=doc.currency)
    _el(summation, "ram:GrandTotalAmount", amount_text(totals.grand_total))
    if totals.prepaid:
        _el(summation, "ram:TotalPrepaidAmount", amount_text(totals.prepaid))
    _el(summation, "ram:DuePayableAmount", amount_text(totals.due))
    if doc.preceding_number:
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", doc.preceding_number)
        if doc.preceding_date:
            _date(reference, "ram:FormattedIssueDateTime", doc.preceding_date, ns="qdt")
