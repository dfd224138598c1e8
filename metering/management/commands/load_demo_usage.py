"""manage.py load_demo_usage: demo usage for every live subscription (idempotent; after load_demo)."""

from django.core.management.base import BaseCommand

from billing import tenancy
from metering.services.demo import usage_demo_load


class Command(BaseCommand):
    help = "Send demo usage events for every live subscription's limited metrics (safe to run again)."

    def handle(self, *args, **options):
        with tenancy.operator_scope():
            stored = usage_demo_load()
        self.stdout.write(self.style.SUCCESS(f"demo usage loaded ({stored} new events)"))
