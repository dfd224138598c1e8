"""Customer writes: billing profile, credit ledger, coupons and the discounts they give."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F

from billing import clock
from billing.audit import audit_record, snapshot
from billing.errors import Conflict, InvalidTransition, ValidationFailed
from billing.models import (
    Account,
    BillingProfile,
    CollectionMethod,
    Coupon,
    CouponDuration,
    CreditEntry,
    CreditKind,
    DiscountStatus,
    Plan,
    PromotionCode,
    Subscription,
    SubscriptionDiscount,
)
from billing.outbox import event_record
from billing.selectors.subscriptions import credit_grants_remaining
from billing.tax_ids import tax_id_checked
from billing.transitions import row_lock

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
PROFILE_FIELDS = ("legal_name", "email", "address_line1", "address_line2", "city", "state", "postal_code", "country",
                  "tax_id", "tax_id_type", "currency", "preferred_language", "invoice_notes", "stripe_customer_id",
                  "collection_method", "metadata")
# The languages invoices and emails are written in (settings.LANGUAGES: en, fr, de).
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def clean_currency(value: str, field: str = "currency") -> str:
    value = (value or "").strip().upper()
    if not CURRENCY_RE.match(value):
        raise ValidationFailed({field: "Give an ISO 4217 code such as USD."})
    return value


# --- billing profile ------------------------------------------------------------------------------------------


def billing_profile_currency(*, account_id: int) -> str:
    return BillingProfile.objects.filter(account_id=account_id).values_list("currency", flat=True).first() or ""


def invoiced_currency(account_id: int) -> str:
    """The currency of the account's first finalized invoice, if any (kept by invoicing; looked up loosely)."""
    from django.apps import apps

    try:
        invoice = apps.get_model("invoicing", "Invoice")
    except LookupError:
        return ""
    return (invoice.objects.filter(account_id=account_id).exclude(status="draft").order_by("id")
            .values_list("currency", flat=True).first() or "")


def invoiced_currency_of(*, account_id: int) -> str:
    """The currency the account is fixed to (its first finalized invoice's), or "" before any."""
    profile = BillingProfile.objects.filter(account_id=account_id).values("currency", "currency_locked_at").first()
    if profile and profile["currency_locked_at"]:
        return profile["currency"]
    return invoiced_currency(account_id)


@transaction.atomic
def billing_profile_update(*, account: Account, **changes) -> BillingProfile:
    """Create or update an account's billing profile. The currency is fixed once invoiced; a tax id of a known
    type (`billing.tax_ids`) must pass its check digits and is stored compact; the language is one of LANGUAGES."""
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationFailed({name: "Unknown field." for name in unknown})
    profile, _ = BillingProfile.objects.select_for_update().get_or_create(account=account)
    before = snapshot(profile)
    errors = {}
    if "email" in changes and changes["email"]:
        try:
            validate_email(changes["email"])
        except DjangoValidationError:
            errors["email"] = "Enter a valid email address."
    if changes.get("country"):
        changes["country"] = changes["country"].strip().upper()
        if not re.match(r"^[A-Z]{2}$", changes["country"]):
            errors["country"] = "Give an ISO 3166-1 alpha-2 code such as DE."
    if changes.get("currency"):
        try:
            changes["currency"] = clean_currency(changes["currency"])
        except ValidationFailed as exc:
            errors.update({k: v[0] for k, v in exc.fields.items()})
        else:
            invoiced_in = profile.currency if profile.currency_locked_at else invoiced_currency(account.pk)
            if invoiced_in and changes["currency"] != invoiced_in:
                errors["currency"] = f"The account has been invoiced in {invoiced_in}; it cannot change."
    elif "currency" in changes and profile.currency_locked_at:  # blanked: the next finalization would conflict
        errors["currency"] = f"The account has been invoiced in {profile.currency}; it cannot change."
    if "collection_method" in changes and changes["collection_method"] not in CollectionMethod.values:
        errors["collection_method"] = f"Must be one of {', '.join(CollectionMethod.values)}."
    if "metadata" in changes and not isinstance(changes["metadata"], dict):
        errors["metadata"] = "Must be an object."
    if changes.get("preferred_language") and changes["preferred_language"].split("-")[0].lower() not in LANGUAGES:
        errors["preferred_language"] = f"Must be one of {', '.join(LANGUAGES)}."
    if ("tax_id" in changes or "tax_id_type" in changes) and "country" not in errors:
        try:
            tax_id = tax_id_checked(tax_id=changes.get("tax_id", profile.tax_id) or "",
                                    tax_id_type=changes.get("tax_id_type", profile.tax_id_type) or "",
                                    country=changes.get("country", profile.country) or "")
        except ValidationFailed as exc:
            errors.update({k: v[0] for k, v in exc.fields.items()})
        else:
            if tax_id:
                changes["tax_id"] = tax_id
    if errors:
        raise ValidationFailed(errors)
    for name, value in changes.items():
        setattr(profile, name, value if value is not None else ("" if name != "metadata" else {}))
    profile.save()
    audit_record(action="billing_profile.updated", instance=profile, before=before, after=snapshot(profile))
    event_record(type="billing.customer.updated", account_id=account.pk,
                 payload={"account_id": account.pk, "fields": sorted(changes)})
    return profile


@transaction.atomic
def billing_profile_currency_lock(*, account_id: int, currency: str) -> BillingProfile:
    """Invoicing calls this when it finalizes an account's first invoice: the currency is fixed from then on."""
    currency = clean_currency(currency)
    profile, _ = BillingProfile.objects.select_for_update().get_or_create(account_id=account_id)
    if profile.currency_locked_at:
        if profile.currency != currency:
            raise Conflict(f"The account is invoiced in {profile.currency}.")
        return profile
    before = snapshot(profile)
    profile.currency = currency
    profile.currency_locked_at = clock.now()
    profile.save()
    audit_record(action="billing_profile.currency_locked", instance=profile, before=before, after=snapshot(profile))
    return profile


# --- credits --------------------------------------------------------------------------------------------------


@transaction.atomic
def credit_grant(*, account: Account, amount: int, currency: str, reason: str,
                 expires_at: datetime | None = None, reference: str = "") -> CreditEntry:
    """`reference`: what the credit comes from (e.g. a payment beyond what was due), for the ledger check."""
    errors = {}
    if not isinstance(amount, int) or amount <= 0:
        errors["amount"] = "Must be a positive whole number of minor units."
    if not (reason or "").strip():
        errors["reason"] = "This field is required."
    if expires_at is not None and expires_at <= clock.now():
        errors["expires_at"] = "Must be in the future."
    try:
        currency = clean_currency(currency)
    except ValidationFailed as exc:
        errors.update({k: v[0] for k, v in exc.fields.items()})
    if errors:
        raise ValidationFailed(errors)
    entry = CreditEntry.objects.create(account=account, kind=CreditKind.GRANT, amount=amount, currency=currency,
                                       reason=reason.strip()[:200], expires_at=expires_at, created_at=clock.now(),
                                       reference=reference[:100])
    audit_record(action="credit.granted", instance=entry, after=snapshot(entry))
    event_record(type="billing.credit.granted", account_id=account.pk,
                 payload={"credit_entry_id": entry.pk, "amount": amount, "currency": currency,
                          "expires_at": expires_at, "reason": entry.reason})
    return entry


@transaction.atomic
def credit_consume(*, account_id: int, currency: str, amount: int, reference: str) -> int:
    """Draw up to `amount` from the account's credit (soonest expiry first) for `reference`.

    Returns what was applied. Idempotent per reference: a second call for the same
    reference applies nothing more and returns what the first applied.
    """
    currency = clean_currency(currency)
    if not reference:
        raise ValidationFailed({"reference": "This field is required."})
    if amount < 0:
        raise ValidationFailed({"amount": "Must not be negative."})
    # One account's credit is drawn by one transaction at a time.
    row_lock(Account, account_id, required=False)
    already = CreditEntry.objects.filter(account_id=account_id, kind=CreditKind.CONSUMPTION, reference=reference)
    if already.exists():
        return -sum(e.amount for e in already)
    applied = 0
    now = clock.now()
    for grant, left in credit_grants_remaining(account_id=account_id, at=now, currency=currency):
        if applied >= amount:
            break
        take = min(left, amount - applied)
        entry = CreditEntry.objects.create(account_id=account_id, kind=CreditKind.CONSUMPTION, amount=-take,
                                           currency=currency, grant=grant, reference=reference, created_at=now,
                                           reason=f"applied to {reference}")
        audit_record(action="credit.consumed", instance=entry, after=snapshot(entry))
        applied += take
    if applied:
        event_record(type="billing.credit.applied", account_id=account_id,
                     payload={"amount": applied, "currency": currency, "reference": reference})
    return applied


@transaction.atomic
def credit_consumption_reverse(*, account_id: int, reference: str) -> int:
    """Give back what `reference` consumed (e.g. its invoice was voided). Idempotent."""
    row_lock(Account, account_id, required=False)
    consumed = CreditEntry.objects.filter(account_id=account_id, kind=CreditKind.CONSUMPTION, reference=reference)
    returned = 0
    for entry in consumed:
        _, created = CreditEntry.objects.get_or_create(
            account_id=account_id, kind=CreditKind.REVERSAL, grant=entry.grant, reference=reference,
            defaults={"amount": -entry.amount, "currency": entry.currency, "created_at": clock.now(),
                      "reason": f"reversal of {reference}"})
        if created:
            returned += -entry.amount
    if returned:
        audit_record(action="credit.reversed", object_type="billing.creditentry", object_id=reference,
                     account_id=account_id, after={"returned": returned})
    return returned


def credits_expire(*, at: datetime | None = None) -> int:
    """The periodic job: write an expiry entry for what is left of each expired grant. Safe to run twice."""
    at = at or clock.now()
    count = 0
    expired = CreditEntry.objects.filter(kind=CreditKind.GRANT, expires_at__lte=at).exclude(
        children__kind=CreditKind.EXPIRY)
    for grant in expired.order_by("id")[:1000]:
        count += _credit_expire_one(grant_id=grant.pk)
    return count


@transaction.atomic
def _credit_expire_one(*, grant_id: int) -> int:
    grant = CreditEntry.objects.get(pk=grant_id)
    row_lock(Account, grant.account_id, required=False)
    if CreditEntry.objects.filter(grant=grant, kind=CreditKind.EXPIRY).exists():
        return 0
    left = grant.amount + sum(CreditEntry.objects.filter(grant=grant).values_list("amount", flat=True))
    entry = CreditEntry.objects.create(account_id=grant.account_id, kind=CreditKind.EXPIRY, amount=-max(left, 0),
                                       currency=grant.currency, grant=grant, reason="expired",
                                       created_at=grant.expires_at)
    audit_record(action="credit.expired", instance=entry, after=snapshot(entry))
    return 1


# --- coupons and discounts -------------------------------------------------------------------------------------


@transaction.atomic
def coupon_create(*, code: str, name: str, percent_off: Decimal | str | None = None, amount_off: int | None = None,
                  currency: str = "", duration: str = CouponDuration.ONCE, duration_in_periods: int | None = None,
                  plans: list[Plan] | None = None, max_redemptions: int | None = None,
                  redeem_by: datetime | None = None) -> Coupon:
    errors = {}
    if not re.match(r"^[-a-zA-Z0-9_]+$", code or ""):
        errors["code"] = "Letters, digits, - and _ only."
    elif Coupon.objects.filter(code=code).exists():
        errors["code"] = "A coupon with this code exists."
    if not (name or "").strip():
        errors["name"] = "This field is required."
    if (percent_off is None) == (amount_off is None):
        errors["percent_off"] = "Give either percent_off or amount_off."
    if percent_off is not None:
        percent_off = Decimal(str(percent_off))
        if not Decimal(0) < percent_off <= Decimal(100):
            errors["percent_off"] = "Must be more than 0 and at most 100."
    if amount_off is not None:
        if not isinstance(amount_off, int) or amount_off <= 0:
            errors["amount_off"] = "Must be a positive whole number of minor units."
        if not CURRENCY_RE.match((currency or "").upper()):
            errors["currency"] = "Required with amount_off (ISO 4217)."
    if duration not in CouponDuration.values:
        errors["duration"] = f"Must be one of {', '.join(CouponDuration.values)}."
    elif duration == CouponDuration.REPEATING and not duration_in_periods:
        errors["duration_in_periods"] = "Required for a repeating coupon."
    if errors:
        raise ValidationFailed(errors)
    coupon = Coupon.objects.create(
        code=code, name=name.strip(), percent_off=percent_off, amount_off=amount_off,
        currency=(currency or "").upper() if amount_off else "", duration=duration,
        duration_in_periods=duration_in_periods if duration == CouponDuration.REPEATING else None,
        max_redemptions=max_redemptions, redeem_by=redeem_by)
    if plans:
        coupon.plans.set(plans)
    after = snapshot(coupon, fields=[f.name for f in Coupon._meta.concrete_fields])
    audit_record(action="coupon.created", instance=coupon, after=after | {"plans": [p.code for p in plans or []]})
    return coupon


@transaction.atomic
def promotion_code_create(*, coupon: Coupon, code: str, max_redemptions: int | None = None,
                          expires_at: datetime | None = None) -> PromotionCode:
    if not (code or "").strip():
        raise ValidationFailed({"code": "This field is required."})
    if PromotionCode.objects.filter(code__iexact=code.strip()).exists():
        raise ValidationFailed({"code": "This promotion code exists."})
    promo = PromotionCode.objects.create(coupon=coupon, code=code.strip(), max_redemptions=max_redemptions,
                                         expires_at=expires_at)
    audit_record(action="promotion_code.created", instance=promo, after=snapshot(promo))
    return promo


def _redeemable(code: str, subscription: Subscription,
                promotion_code_only: bool = False) -> tuple[Coupon, PromotionCode | None]:
    """Lock the coupon (and promotion code) and check every restriction; raise naming `coupon`."""
    now = clock.now()
    promo = row_lock(PromotionCode, code__iexact=code, required=False)
    if promo is None and promotion_code_only:
        raise ValidationFailed({"coupon": "No such promotion code."})
    if promo is not None:
        if not promo.is_active or (promo.expires_at and promo.expires_at <= now):
            raise ValidationFailed({"coupon": "This promotion code has expired."})
        if promo.max_redemptions is not None and promo.times_redeemed >= promo.max_redemptions:
            raise ValidationFailed({"coupon": "This promotion code has been used up."})
        coupon = row_lock(Coupon, promo.coupon_id)
    else:
        coupon = row_lock(Coupon, code=code, required=False)
        if coupon is None:
            raise ValidationFailed({"coupon": "No such coupon or promotion code."})
    if not coupon.is_active or (coupon.redeem_by and coupon.redeem_by <= now):
        raise ValidationFailed({"coupon": "This coupon has expired."})
    if coupon.max_redemptions is not None and coupon.times_redeemed >= coupon.max_redemptions:
        raise ValidationFailed({"coupon": "This coupon has been used up."})
    if promotion_code_only and SubscriptionDiscount.objects.filter(subscription=subscription, coupon=coupon).exists():
        # Redeeming again would restart a limited discount (3 months off, every 2 months).
        raise ValidationFailed({"coupon": "This subscription has already redeemed this coupon."})
    restricted = list(coupon.plans.values_list("pk", flat=True))
    if restricted and subscription.plan_id not in restricted:
        raise ValidationFailed({"coupon": "This coupon does not apply to this plan."})
    if coupon.amount_off is not None and coupon.currency != subscription.currency:
        raise ValidationFailed({"coupon": f"This coupon is in {coupon.currency}, the subscription in "
                                          f"{subscription.currency}."})
    return coupon, promo


@transaction.atomic
def discount_apply(*, subscription: Subscription, code: str, promotion_code_only: bool = False) -> SubscriptionDiscount:
    """Apply a coupon or promotion code to a subscription (replacing an active discount).

    `promotion_code_only` for customers: they redeem promotion codes, not a coupon by its own code."""
    subscription = row_lock(Subscription, subscription)
    if subscription.status in ("canceled", "incomplete_expired"):
        raise InvalidTransition(f"Cannot apply a coupon to a subscription that is {subscription.status}.")
    coupon, promo = _redeemable((code or "").strip(), subscription, promotion_code_only)
    now = clock.now()
    SubscriptionDiscount.objects.filter(subscription=subscription, status=DiscountStatus.ACTIVE).update(
        status=DiscountStatus.ENDED, ended_at=now)
    periods_total = {CouponDuration.ONCE: 1, CouponDuration.REPEATING: coupon.duration_in_periods,
                     CouponDuration.FOREVER: None}[coupon.duration]
    discount = SubscriptionDiscount.objects.create(account_id=subscription.account_id, subscription=subscription,
                                                   coupon=coupon, promotion_code=promo, periods_total=periods_total,
                                                   started_at=now)
    Coupon.objects.filter(pk=coupon.pk).update(times_redeemed=F("times_redeemed") + 1)
    if promo is not None:
        PromotionCode.objects.filter(pk=promo.pk).update(times_redeemed=F("times_redeemed") + 1)
    audit_record(action="subscription.discount_applied", instance=discount, after=snapshot(discount))
    event_record(type="billing.subscription.updated", account_id=subscription.account_id,
                 payload={"subscription_id": subscription.pk, "action": "discount_applied", "coupon": coupon.code})
    return discount


@transaction.atomic
def discount_mark_used(*, discount: SubscriptionDiscount, period_start: datetime) -> SubscriptionDiscount:
    """Invoicing calls this when it applies the discount to the period starting `period_start`.

    Counts each period once (a replay for the same or an earlier period changes
    nothing) and ends the discount after its last period.
    """
    discount = row_lock(SubscriptionDiscount, discount)
    if discount.last_used_period_start is not None and period_start <= discount.last_used_period_start:
        return discount
    if discount.status != DiscountStatus.ACTIVE:
        raise InvalidTransition("This discount has ended.")
    before = snapshot(discount)
    discount.periods_used += 1
    discount.last_used_period_start = period_start
    if discount.periods_total is not None and discount.periods_used >= discount.periods_total:
        discount.status = DiscountStatus.ENDED
        discount.ended_at = clock.now()
    discount.save()
    audit_record(action="subscription.discount_used", instance=discount, before=before, after=snapshot(discount))
    return discount


@transaction.atomic
def discount_remove(*, discount: SubscriptionDiscount) -> SubscriptionDiscount:
    discount = row_lock(SubscriptionDiscount, discount)
    if discount.status != DiscountStatus.ACTIVE:
        raise InvalidTransition("This discount has already ended.")
    before = snapshot(discount)
    discount.status = DiscountStatus.ENDED
    discount.ended_at = clock.now()
    discount.save()
    audit_record(action="subscription.discount_removed", instance=discount, before=before, after=snapshot(discount))
    return discount
