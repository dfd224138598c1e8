"""The emails a customer's people read, read as sent: the metric's name (not its code), the share of the limit
truly used (110%, not the 100% threshold it passed, and one email for a jump past several thresholds),
numbers and dates in the reader's language (never ISO timestamps), and the plan's name in the welcome."""

import re

import pytest
from django.core import mail

from billing import tenancy
from billing.models import BillingProfile
from billing.outbox import outbox_deliver_batch
from tests.console_world import world  # noqa: F401

pytestmark = pytest.mark.django_db

ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def delivered(prefix: str) -> list:
    with tenancy.operator_scope():
        while outbox_deliver_batch():
            pass
    return [m for m in mail.outbox if m.subject.startswith(prefix)]


def test_a_jump_past_two_thresholds_is_one_email_with_the_true_percentage(world):  # noqa: F811
    usage = delivered("Usage of")
    subjects = sorted(m.subject for m in usage)
    assert subjects == ["Usage of API calls reached 80% of your plan's limit",
                        "Usage of LLM tokens reached 110% of your plan's limit"]
    tokens = next(m for m in usage if "LLM tokens" in m.subject)
    assert "You have used 1,100,000 of the 1,000,000 tokens included in your plan for" in tokens.body
    assert "110% of the limit" in tokens.body and "billed as overage" in tokens.body
    assert "llm_tokens" not in tokens.body + tokens.subject
    assert not ISO_MOMENT.search(tokens.body)
    html = tokens.alternatives[0][0]
    assert "<strong>110%</strong>" in html and "/console/usage/" in html


def test_the_usage_email_reads_in_the_customers_language(world):  # noqa: F811
    with tenancy.operator_scope():
        BillingProfile.objects.filter(account=world.acme).update(preferred_language="de")
    tokens = next(m for m in delivered("Usage of") if "LLM tokens" in m.subject)
    assert "reached 110 % of" in tokens.subject  # German puts a space before the sign
    assert "1.100.000 of the 1.000.000 tokens" in tokens.body


def test_a_replayed_event_sends_nothing_twice(world):  # noqa: F811
    from billing.models import OutboxEvent
    from invoicing.usage_emails import email_usage_threshold

    first = len(delivered("Usage of"))
    with tenancy.operator_scope():
        for event in OutboxEvent.objects.filter(type="billing.usage.threshold_reached"):
            email_usage_threshold(event)
    assert len(delivered("Usage of")) == first == 2


def test_the_welcome_email_names_the_plan_not_its_code(world):  # noqa: F811
    welcome = delivered("Welcome to")
    assert [m.subject for m in welcome] == ["Welcome to Scale"]
    assert "Your subscription to Scale has started." in welcome[0].body
    assert not ISO_MOMENT.search(welcome[0].body)
