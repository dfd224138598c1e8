"""The EN 16931 invoice as one neutral document, built once (build.py) and written as CII (cii.py)
or UBL (ubl.py). Each field names the business term it carries (BT-n, BG-n). Amounts are Decimals
in major units with the currency's own digits (pricing.money.to_major), never floats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

INVOICE = "380"  # UNTDID 1001: commercial invoice
CREDIT_NOTE = "381"  # credit note


@dataclass(frozen=True)
class Address:  # BG-5 (seller), BG-8 (buyer)
    line1: str = ""  # BT-35 / BT-50
    line2: str = ""  # BT-36 / BT-51
    city: str = ""  # BT-37 / BT-52
    postal_code: str = ""  # BT-38 / BT-53
    region: str = ""  # BT-39 / BT-54
    country: str = ""  # BT-40 / BT-55, ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Party:  # BG-4 seller, BG-7 buyer
    name: str  # BT-27 / BT-44
    address: Address
    vat_id: str = ""  # BT-31 / BT-48, with its country prefix
    tax_registration_id: str = ""  # BT-32 (seller only): a tax number that is not a VAT id
    legal_id: str = ""  # BT-30 / BT-47 (e.g. SIREN, company number)
    legal_id_scheme: str = ""  # its ISO 6523 scheme (0002 SIREN), when known
    email: str = ""  # BT-34 / BT-49, electronic address, scheme EM
    legal_form: str = ""  # BT-33: share capital, register (France asks for it)


@dataclass(frozen=True)
class VatCategory:
    code: str  # BT-151 / BT-95 / BT-118 (UNCL 5305: S, Z, E, AE, K, G, O)
    rate: Decimal | None  # BT-152 / BT-96 / BT-119; None for O (outside the scope of VAT)
    exemption_reason: str = ""  # BT-120
    exemption_code: str = ""  # BT-121 (VATEX-EU-AE, VATEX-EU-G ...)


@dataclass(frozen=True)
class Line:  # BG-25
    id: str  # BT-126
    name: str  # BT-153
    quantity: Decimal  # BT-129 (negative for a line that credits)
    unit_code: str  # BT-130, UN/ECE Rec 20
    net_amount: Decimal  # BT-131: the line as billed, before coupons (those are document allowances, BG-20)
    net_price: Decimal  # BT-146, never negative
    vat: VatCategory  # BG-30: BT-151, BT-152
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    note: str = ""  # BT-127


@dataclass(frozen=True)
class Allowance:  # BG-20, document level: a coupon or a discount finance added
    amount: Decimal  # BT-92
    reason: str  # BT-97
    vat: VatCategory  # BT-95, BT-96
    reason_code: str = "95"  # BT-98, UNCL 5189: 95 discount


@dataclass(frozen=True)
class VatBreakdown:  # BG-23
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117
    category: VatCategory  # BT-118 .. BT-121


@dataclass(frozen=True)
class Totals:  # BG-22
    line_total: Decimal  # BT-106 = sum of BT-131
    allowance_total: Decimal  # BT-107 = sum of BT-92
    tax_exclusive: Decimal  # BT-109 = BT-106 - BT-107
    tax_total: Decimal  # BT-110
    grand_total: Decimal  # BT-112 = BT-109 + BT-110
    prepaid: Decimal  # BT-113: credit applied, payments received, credit notes against the amount due
    due: Decimal  # BT-115 = BT-112 - BT-113


@dataclass(frozen=True)
class Payment:  # BG-16, BT-9, BT-20
    means_code: str  # BT-81, UNCL 4461: 48 bank card, 30 credit transfer, 58 SEPA credit transfer
    reference: str = ""  # BT-83 remittance information
    iban: str = ""  # BT-84
    bic: str = ""  # BT-86
    account_name: str = ""  # BT-85
    terms: str = ""  # BT-20


@dataclass(frozen=True)
class Document:
    type_code: str  # BT-3: 380 or 381
    number: str  # BT-1
    issue_date: date  # BT-2
    currency: str  # BT-5
    seller: Party  # BG-4
    buyer: Party  # BG-7
    lines: tuple[Line, ...]  # BG-25
    allowances: tuple[Allowance, ...]  # BG-20
    vat_breakdown: tuple[VatBreakdown, ...]  # BG-23
    totals: Totals  # BG-22
    payment: Payment | None = None  # BG-16
    due_date: date | None = None  # BT-9
    period_start: date | None = None  # BT-73
    period_end: date | None = None  # BT-74
    buyer_reference: str = ""  # BT-10
    preceding_number: str = ""  # BT-25 (a credit note's invoice)
    preceding_date: date | None = None  # BT-26
    notes: tuple[str, ...] = field(default_factory=tuple)  # BT-22

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE


def amount_text(value: Decimal) -> str:
    """An amount as the XML writes it: the currency's digits, but no more than EN 16931's two
    decimals where the extra digits are zeros (a dinar amount of 12.340 is written 12.34)."""
    text = f"{value:f}"
    if "." in text:
        whole, digits = text.split(".")
        digits = digits.rstrip("0").ljust(2, "0") if len(digits) > 2 else digits
        text = f"{whole}.{digits}"
    return text


def decimal_text(value: Decimal) -> str:
    """A quantity, price or rate: as few digits as it needs (1500, 0.005, 20)."""
    text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
