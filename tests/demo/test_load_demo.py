"""`load_demo` loads the seed-002 catalog and subscribes the two demo accounts, once."""

import io

import pytest
from django.core.management import call_command

from billing import tenancy
from billing.models import Subscription

pytestmark = pytest.mark.django_db


def test_load_demo_subscribes_the_demo_accounts_once():
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())
    with tenancy.operator_scope():
        subs = {s.account.name: (s.plan.code, s.quantity, s.status) for s in Subscription.objects.select_related(
            "account", "plan")}
    assert subs == {"Acme Corp": ("standard", 30, "active"), "Globex Inc": ("free", 3, "active")}


def test_load_demo_gives_acme_a_sandbox_card_and_usage(settings):
    from django.db import connection

    from payments.models import PaymentMethod

    settings.PAYMENTS_GATEWAY = "sandbox"
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())
    with tenancy.operator_scope():
        cards = list(PaymentMethod.objects.filter(removed_at__isnull=True).values_list("account__name", "last4",
                                                                                       "is_default"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT a.name FROM metering_usageevent e JOIN billing_account a "
                           "ON a.id = e.account_id")
            usage_accounts = {row[0] for row in cursor.fetchall()}
    assert cards == [("Acme Corp", "4242", True)]
    assert usage_accounts == {"Acme Corp", "Globex Inc"}


def test_the_demo_renewal_of_a_french_customer_carries_vat_and_an_american_ones_says_why_not():
    from billing.models import Account
    from invoicing.customers import customer_details
    from invoicing.selectors import tax_treatment_for

    call_command("load_demo", stdout=io.StringIO())
    with tenancy.operator_scope():
        acme, globex = Account.objects.get(name="Acme Corp"), Account.objects.get(name="Globex Inc")
        french, american = tax_treatment_for(acme), tax_treatment_for(globex)
        assert customer_details(acme).tax_id == "FR59542051180"
    assert (french.kind, french.name, french.percentage) == ("rate", "TVA 20 %", 20)
    assert american.kind == "export" and "outside the EU" in american.note
