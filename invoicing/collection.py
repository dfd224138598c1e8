"""How an invoice is collected, as invoicing's emails and reminders need to know it.

An invoice is charged to the card on file (`charge_automatically`) or sent for the customer to
pay (`send_invoice`, bank transfer, with net terms). Under `charge_automatically` an account
without a usable payment method is collected like `send_invoice`: reminders on the schedule, and
every email prompts it to add a card. Whether it has one is the payments app's to say: it
registers its reader here when it starts (`payment_method_reader_register`), as invoicing
registers its email preferences with billing. Without a reader (payments switched off) every
account counts as having none.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from invoicing.hosted_links import hosted_invoice_url
from invoicing.models import CollectionMethod, Invoice

_readers: list[Callable[[int], bool]] = []
ADD_CARD_PATH = "/console/payment-methods/"


def payment_method_reader_register(reader: Callable[[int], bool]) -> None:
    """Set the reader of whether an account has a usable payment method (account id -> bool)."""
    _readers[:] = [reader]


def has_usable_payment_method(account_id: int) -> bool:
    return bool(_readers and _readers[0](account_id))


def collected_by_invoice(invoice: Invoice, *, has_card: bool | None = None) -> bool:
    """Whether the customer has to pay it themselves: `send_invoice`, or no card to charge it to."""
    if invoice.collection_method == CollectionMethod.SEND_INVOICE:
        return True
    return not (has_usable_payment_method(invoice.account_id) if has_card is None else has_card)


def collection_context(invoice: Invoice) -> dict:
    """What every invoice email says about paying: the hosted page's link, and whether to prompt for a card."""
    needs_card = (invoice.collection_method == CollectionMethod.CHARGE_AUTOMATICALLY
                  and not has_usable_payment_method(invoice.account_id))
    payable = invoice.status == "open" and invoice.amount_due > 0  # the page pays only what is open and due
    return {"hosted_invoice_url": hosted_invoice_url(invoice) if payable else "", "add_card_prompt": needs_card,
            "add_card_url": f"{settings.SITE_URL}{ADD_CARD_PATH}",
            "bank_transfer": invoice.collection_method == CollectionMethod.SEND_INVOICE}
