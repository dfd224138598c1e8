"""Usage thresholds fire once per period and metric: an alert row, an outbox event, an email, a banner."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from billing import clock
from billing.models import OutboxEvent
from billing.outbox import outbox_deliver_batch
from billing.services import membership_add
from metering.ingest.decode import EventIn
from metering.models import UsageAlert
from metering.selectors import alerts_open
from metering.services import usage_events_record
from metering.services.alerts import usage_alerts_evaluate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator")]


def send(account, n, prefix):
    usage_events_record(events=[EventIn(metric="api_calls", idempotency_key=f"{prefix}{i}", account_id=account.pk)
                                for i in range(n)])


@pytest.fixture
def account(make_metric, subscribe):
    make_metric("api_calls")
    return subscribe(limits=[{"metric": "api_calls", "included": 10, "cap_mode": "soft"}])


def test_each_threshold_fires_once_per_period(account):
    send(account, 8, "a")
    assert usage_alerts_evaluate() == 1
    assert usage_alerts_evaluate() == 0
    send(account, 4, "b")  # 12 of 10: 100% and 120%
    assert usage_alerts_evaluate() == 2
    assert usage_alerts_evaluate() == 0
    assert sorted(UsageAlert.objects.filter(account=account).values_list("threshold_percent", flat=True)) == [
        80, 100, 120]
    events = OutboxEvent.objects.filter(account_id=account.pk, type="billing.usage.threshold_reached")
    assert sorted(e.payload["threshold_percent"] for e in events) == [80, 100, 120]


def test_below_the_first_threshold_nothing_fires(account):
    send(account, 7, "a")
    assert usage_alerts_evaluate() == 0
    assert not UsageAlert.objects.filter(account=account).exists()


def test_the_billing_contacts_get_one_email_even_if_the_event_is_delivered_twice(account):
    user = get_user_model().objects.create_user(username="owner-x", email="owner@example.com", password="x")
    membership_add(account=account, user=user, role="owner")
    send(account, 8, "a")
    usage_alerts_evaluate()
    outbox_deliver_batch()
    usage_mails = [m for m in mail.outbox if m.subject.startswith("Usage of")]
    assert [m.to for m in usage_mails] == [["owner@example.com"]]
    assert "80%" in usage_mails[0].subject
    from invoicing.usage_emails import email_usage_threshold

    email_usage_threshold(OutboxEvent.objects.get(account_id=account.pk, type="billing.usage.threshold_reached"))
    assert len([m for m in mail.outbox if m.subject.startswith("Usage of")]) == 1


def test_open_alerts_are_the_console_banner(account, make_account):
    send(account, 10, "a")
    usage_alerts_evaluate()
    assert [(a.metric.code, a.threshold_percent) for a in alerts_open(account_id=account.pk)] == [
        ("api_calls", 100), ("api_calls", 80)]
    assert alerts_open(account_id=make_account().pk) == []


def test_the_console_shows_the_banner_to_the_account_only(client, account, make_account):
    from django.contrib.auth import get_user_model

    send(account, 10, "a")
    usage_alerts_evaluate()
    owner = get_user_model().objects.create_user(username="banner-owner", password="pw")
    membership_add(account=account, user=owner, role="owner")
    other_user = get_user_model().objects.create_user(username="other-owner", password="pw")
    membership_add(account=make_account(), user=other_user, role="owner")
    client.force_login(owner)
    page = client.get("/console/").content.decode()
    assert "100% of the 10 included this period reached" in page
    client.force_login(other_user)
    assert "included this period reached" not in client.get("/console/").content.decode()


@pytest.mark.parametrize(("language", "shown"), [("en", "1,000,000"), ("de", "1.000.000")])
def test_the_banner_groups_the_digits_of_a_large_limit_as_the_language_does(language, shown):
    from decimal import Decimal
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from django.utils import translation

    alert = SimpleNamespace(threshold_percent=80, percent=Decimal(80), limit=1_000_000, period_end=clock.now(),
                            metric=SimpleNamespace(name="API calls", code="api_calls"))
    with translation.override(language):
        page = render_to_string("metering/alert_banner.html", {"alerts": [alert]})
    assert shown in page and "1000000" not in page
