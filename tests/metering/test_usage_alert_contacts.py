"""A usage alert goes to the contacts invoices go to, found through billing (metering imports nothing from
invoicing), and not to an account that opted out of usage emails."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from billing.models import BillingProfile
from billing.outbox import outbox_deliver_batch
from billing.selectors import billing_contacts
from billing.services import membership_add
from invoicing.models import CustomerInvoicing
from invoicing.services import customer_invoicing_update
from metering.ingest.decode import EventIn
from metering.services import usage_events_record
from metering.services.alerts import usage_alerts_evaluate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]


@pytest.fixture
def account(make_metric, subscribe):
    make_metric("api_calls")
    account = subscribe(limits=[{"metric": "api_calls", "included": 10, "cap_mode": "soft"}])
    user = get_user_model().objects.create_user(username="owner-c", email="owner@example.com", password="x")
    membership_add(account=account, user=user, role="owner")
    return account


def reach_80_percent(account):
    usage_events_record(events=[EventIn(metric="api_calls", idempotency_key=f"c{i}", account_id=account.pk)
                                for i in range(8)])
    usage_alerts_evaluate()
    outbox_deliver_batch()
    return [m.to for m in mail.outbox if m.subject.startswith("Usage of")]


def test_the_usage_email_goes_to_the_profile_email_and_the_extra_contacts_invoicing_keeps(account):
    BillingProfile.objects.update_or_create(account=account, defaults={"email": "billing@example.com"})
    customer_invoicing_update(account=account, extra_recipients=["cfo@example.com"])
    assert billing_contacts(account.pk) == ["billing@example.com", "cfo@example.com"]
    assert reach_80_percent(account) == [["billing@example.com", "cfo@example.com"]]


def test_an_account_that_opted_out_of_usage_emails_gets_none(account):
    CustomerInvoicing.objects.create(account=account, email_opt_outs=["billing_usage_threshold_reached"])
    assert billing_contacts(account.pk) == ["owner@example.com"]  # still its contacts for other emails
    assert reach_80_percent(account) == []
