"""Fetch events from Stripe's events API (kept 30 days) and process those we never received."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from billing import tenancy
from billing.context import Actor, acting_as
from payments.services.webhooks import webhook_events_sync

_RELATIVE = re.compile(r"^(\d+)([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_since(value: str) -> datetime:
    match = _RELATIVE.match(value.strip())
    if match:
        return timezone.now() - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    moment = parse_datetime(value)
    if moment is None and (day := parse_date(value)) is not None:
        moment = datetime(day.year, day.month, day.day)
    if moment is None:
        raise CommandError(f"--since: {value!r} is neither a date, a datetime nor a duration like 3d, 12h, 30m")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Refetch Stripe events since a moment; store and process the ones we missed (duplicates are skipped)."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="ISO date or datetime (UTC), or a duration: 3d, 12h, 30m")

    def handle(self, *args, since: str, **options):
        moment = parse_since(since)
        with tenancy.operator_scope(), acting_as(Actor(type="system", id="stripe_sync_events",
                                                       label="stripe_sync_events")):
            seen, new = webhook_events_sync(since=moment)
        self.stdout.write(f"{seen} event(s) at Stripe since {moment.isoformat()}; {len(new)} new, processed.")
