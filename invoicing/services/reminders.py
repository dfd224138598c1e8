"""Upcoming-renewal reminders, 7 days before a period of a month or more renews. Once per period."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction

from billing import clock
from billing.errors import AmountTooLarge
from billing.models import Subscription, SubscriptionStatus
from billing.outbox import event_record
from invoicing import conf
from invoicing.models import RenewalNotice
from invoicing.upcoming import invoice_upcoming

MIN_PERIOD = timedelta(days=28)
logger = logging.getLogger(__name__)
RENEWAL_UPCOMING = "invoicing.renewal_upcoming"


def renewal_reminders_record(*, limit: int = 1000) -> int:
    now = clock.now()
    horizon = now + timedelta(days=conf.get("UPCOMING_RENEWAL_DAYS"))
    candidates = (Subscription.objects.filter(status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE],
                                              cancel_at_period_end=False, current_period_end__gt=now,
                                              current_period_end__lte=horizon)
                  .select_related("plan", "account").order_by("current_period_end", "id")[:limit])
    sent = 0
    for subscription in candidates:
        if subscription.current_period_end - subscription.current_period_start < MIN_PERIOD:
            continue
        try:
            with transaction.atomic():
                RenewalNotice.objects.create(account_id=subscription.account_id, subscription=subscription,
                                             period_end=subscription.current_period_end)
                upcoming = invoice_upcoming(subscription=subscription, at=now)
                event_record(type=RENEWAL_UPCOMING, account_id=subscription.account_id, payload={
                    "subscription_id": subscription.pk, "plan_name": subscription.plan.name,
                    "period_end": subscription.current_period_end, "currency": subscription.currency,
                    "estimated_total": upcoming.invoice.total})
            sent += 1
        except IntegrityError:
            continue  # already reminded for this period
        except AmountTooLarge as exc:  # no estimate to send: the bill run records it as a failure for finance
            logger.warning("no renewal reminder for subscription %s: %s", subscription.pk, exc.message)
    return sent
