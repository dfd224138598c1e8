"""The one place where the catalog's and metering's types become the pricing engine's inputs,
and where the engine's refusals become billing's errors.

- `billing.selectors.plan_terms_for(subscription) -> PlanTerms` (flat and seat amounts in
  minor units; `ChargeTerms` with Decimal unit prices per `block_size` units, `package_size`
  for packages, integer `free_units`, `pricing.Tier`s, included seats -1 = unlimited)
  -> `Recurring`, and `Charge`s through billing's `charge_from_terms`;
- `ProrationItem` (amount = round(full_amount x factor), signed) -> `Proration`;
- `SubscriptionDiscount` (its `Coupon`: percent or amount off) -> `Coupon`;
- `metering.selectors.billable_usage(...)` (the bill run: raw events) and `usage_so_far(...)`
  (the upcoming invoice: rollups plus the raw tail, the same figures) are already keyed the way
  the engine wants: {(metric_code, group_key): Decimal}.
- `price_invoice` and `one_off_line`: pricing's, with a line priced past its bound
  (`pricing.LineTooLarge`) raised as `billing.errors.AmountTooLarge` (422, naming the
  inputs to lower), as the API, the admin and the bill run's failures expect.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

import pricing
from billing.errors import AmountTooLarge
from billing.selectors import (
    charge_from_terms,
    discounts_active,
    plan_terms_for,
    proration_items_pending,
)
from pricing import (
    Charge,
    Coupon,
    InvoiceInput,
    Line,
    OneOff,
    Period,
    PricedInvoice,
    Proration,
    Recurring,
    to_major,
)

UNLIMITED = -1


@contextmanager
def lines_bounded():
    """pricing's `LineTooLarge` as billing's `AmountTooLarge`, with the same message and fields."""
    try:
        yield
    except pricing.LineTooLarge as exc:
        raise AmountTooLarge(exc.message, fields=exc.fields) from None


def price_invoice(data: InvoiceInput) -> PricedInvoice:
    """`pricing.price_invoice`; `AmountTooLarge` (422) for a line past MAX_LINE_AMOUNT."""
    with lines_bounded():
        return pricing.price_invoice(data)


def one_off_line(item: OneOff, currency: str) -> Line:
    """`pricing.one_off_line`; `AmountTooLarge` (422) for a line past MAX_LINE_AMOUNT."""
    with lines_bounded():
        return pricing.one_off_line(item, currency)


def recurring_from_terms(terms) -> Recurring:
    seat_price = None
    if terms.seat_amount is not None and terms.included_seats != UNLIMITED:
        seat_price = to_major(terms.seat_amount, terms.currency)
    return Recurring(flat_price=to_major(terms.flat_amount, terms.currency), seat_price=seat_price,
                     included_seats=max(0, terms.included_seats), seats=terms.quantity, plan_name=terms.plan_name)


def charges_from_terms(terms, currency: str) -> tuple[Charge, ...]:
    return tuple(charge_from_terms(c) for c in terms.charges if c.currency == currency)


def proration_from_item(item) -> Proration:
    # full_amount x factor, rounded once, is exactly the item's own amount.
    return Proration(
        description=item.description, unit_price=to_major(abs(item.full_amount), item.currency), quantity=Decimal(1),
        period=Period(item.period_start, item.period_end), factor=Decimal(item.proration_factor),
        credit=item.amount < 0, reference=f"proration:{item.pk}",
    )


def coupon_from_discount(discount, currency: str) -> Coupon | None:
    coupon = discount.coupon
    if coupon.amount_off is not None:
        if (coupon.currency or "").upper() != currency:
            return None  # an amount in another currency does not apply
        return Coupon(coupon.code, amount_off=coupon.amount_off, description=coupon.name,
                      reference=f"discount:{discount.pk}")
    return Coupon(coupon.code, percent_off=Decimal(coupon.percent_off), description=coupon.name,
                  reference=f"discount:{discount.pk}")


def subscription_terms(subscription):
    return plan_terms_for(subscription)


def pending_prorations(subscription, *, up_to: datetime | None = None) -> list:
    items = proration_items_pending(subscription_id=subscription.pk)
    if up_to is not None:
        items = items.filter(created_at__lte=up_to)
    return list(items)


def active_discounts(subscription) -> list:
    return list(discounts_active(subscription_id=subscription.pk))


def usage_for(account_id: int, metric_codes: list[str], period: Period) -> dict:
    if not metric_codes:
        return {}
    from metering.selectors import billable_usage

    return billable_usage(account_id=account_id, metric_codes=metric_codes, period_start=period.start,
                          period_end=period.end)


def usage_so_far_for(account_id: int, metric_codes: list[str], period: Period) -> dict:
    """What `usage_for` would read, from metering's rollups plus the raw tail: for the upcoming
    invoice, which is read on every page view and must not slow down as usage grows."""
    if not metric_codes:
        return {}
    from metering.selectors import usage_so_far

    return usage_so_far(account_id=account_id, metric_codes=metric_codes, period_start=period.start,
                        period_end=period.end)


def late_usage_window():
    """How far back an event may still arrive (metering's acceptance window): periods that ended
    earlier than that before a renewal can receive no more usage."""
    from metering import conf as metering_conf

    return metering_conf.acceptance_window()


def prorations_mark_invoiced(items, invoice) -> None:
    """Pending proration items billed on `invoice`: as docs/subscriptions.md asks, invoicing sets
    `invoiced_at` and `invoice_reference` in the invoice's transaction (a rollback leaves them pending)."""
    from billing import clock
    from billing.models import ProrationItem

    ProrationItem.objects.filter(pk__in=[i.pk for i in items], invoiced_at__isnull=True).update(
        invoiced_at=clock.now(), invoice_reference=f"invoicing.invoice:{invoice.pk}")
