"""Demo data for `make run`: an operator, a finance user, two customer accounts with a user each.

Safe to run again: existing users and accounts are kept as they are.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from billing import tenancy
from billing.models import Account, MembershipRole
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from billing.services import account_create, membership_add

DEMO_USERS = [
    # username, password, role, description
    ("admin", "admin", "superuser", "operator superuser (admin)"),
    ("finance", "finance", FINANCE_ADMIN, "finance staff (admin)"),
    ("auditor", "auditor", FINANCE_VIEWER, "finance viewer: reads and exports (admin)"),
    ("alice", "alice", "Acme Corp", "owner of Acme Corp (console)"),
    ("bob", "bob", "Globex Inc", "owner of Globex Inc (console)"),
]

DEMO_CATALOG = "examples/catalogs/002_ai_platform.yaml"
DEMO_SUBSCRIPTIONS = [("Acme Corp", "standard", 30), ("Globex Inc", "free", 3)]
# Their billing identities: Acme is a French business (its renewals carry French VAT), Globex an American
# one (no VAT: services supplied outside the EU, and its invoices say why). The operator is in Paris.
DEMO_PROFILES = {
    "Acme Corp": {"legal_name": "Acme Corp SAS", "address_line1": "12 rue de Rivoli", "postal_code": "75004",
                  "city": "Paris", "country": "FR", "tax_id": "FR59542051180", "tax_id_type": "eu_vat"},
    "Globex Inc": {"legal_name": "Globex Inc.", "address_line1": "500 Main Street", "postal_code": "78701",
                   "city": "Austin", "state": "TX", "country": "US", "tax_id": "12-3456789", "tax_id_type": "us_ein"},
}
# The VAT rates of the demo (the admin's Invoicing -> Tax rates): name, country, percentage.
DEMO_TAX_RATES = [("TVA 20 %", "FR", "20"), ("MwSt. 19 %", "DE", "19")]


class Command(BaseCommand):
    help = "Load demo users and accounts (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        with tenancy.operator_scope():
            for username, password, role, _ in DEMO_USERS:
                user, created = User.objects.get_or_create(
                    username=username, defaults={"email": f"{username}@example.com"}
                )
                if created:
                    user.set_password(password)
                if role == "superuser":
                    user.is_staff = user.is_superuser = True
                elif role in (FINANCE_ADMIN, FINANCE_VIEWER):
                    user.is_staff = True
                    user.save()
                    user.groups.add(Group.objects.get(name=role))
                else:
                    account = Account.objects.filter(name=role).first() or account_create(
                        name=role, external_id=role.lower().replace(" ", "-")
                    )
                    membership_add(account=account, user=user, role=MembershipRole.OWNER)
                user.save()
            self._load_more()
        self.stdout.write(self.style.SUCCESS("demo data loaded"))

    def _load_more(self):
        """Later apps add their demo data here (catalog, subscriptions, usage)."""
        self._load_tax_rates()
        self._load_catalog_and_subscriptions()
        self._load_payment_method()
        from django.core.management import call_command

        call_command("load_demo_usage", stdout=self.stdout)

    def _load_tax_rates(self):
        """The demo's VAT rates, each created once (a place that has an active rate keeps it)."""
        from invoicing.selectors import tax_rate_active_at
        from invoicing.services.taxes import tax_rate_create

        for name, country, percentage in DEMO_TAX_RATES:
            if tax_rate_active_at(country=country, region="") is None:
                tax_rate_create(name=name, country=country, percentage=percentage)

    def _load_payment_method(self):
        """Offline demo (sandbox gateway): Acme has a test Visa on file, so its invoices get collected."""
        from payments.gateways import gateway
        from payments.models import PaymentMethod
        from payments.services.methods import (
            payment_method_setup_complete,
            payment_method_setup_start,
        )

        sandbox = gateway()
        acme = Account.objects.get(name="Acme Corp")
        if sandbox.name != "sandbox" or PaymentMethod.objects.filter(account=acme, removed_at__isnull=True).exists():
            return
        started = payment_method_setup_start(account=acme)
        sandbox.setup_confirm(setup_id=started.setup.gateway_id, card="visa")
        payment_method_setup_complete(setup=started.setup)

    def _load_catalog_and_subscriptions(self):
        """The seed-002 catalog; Acme on Standard (30 seats), Globex on Free. Kept if already there."""
        from django.conf import settings

        from billing.models import Plan, Subscription
        from billing.services import billing_profile_update, subscription_create
        from billing.services.catalog_loader import catalog_load, read_catalog_file

        catalog_load(data=read_catalog_file(settings.BASE_DIR / DEMO_CATALOG))
        for name, plan_code, seats in DEMO_SUBSCRIPTIONS:
            account = Account.objects.get(name=name)
            if Subscription.objects.filter(account=account).exists():
                continue
            billing_profile_update(account=account, email=f"billing@{account.external_id}.test", currency="USD",
                                   **DEMO_PROFILES[name])
            subscription_create(account=account, plan=Plan.objects.get(code=plan_code), quantity=seats)
