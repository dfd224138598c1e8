"""The overdue policy, applied by its beat job: warning at 7 days past due, restricted at 14 (soft-limit
metrics refused), suspended at 30 (everything refused, the subscription paused); paying everything due
returns the account to good in the commit that paid it, and its quota answers follow."""

from datetime import timedelta

import jsonschema
import pytest

from billing import clock, tenancy
from billing.models import AccountStanding, AuditEntry, BillableMetric, OutboxEvent, Subscription
from billing.services import subscription_create
from invoicing.services import invoice_finalize, invoice_mark_paid
from metering.services import quota_check
from payments.services.dunning import dunning_pause
from payments.services.overdue import overdue_policy_apply
from tests.billing.catalog_factories import plan
from tests.invoicing.factories import draft
from webhooks import catalog

pytestmark = pytest.mark.django_db


@pytest.fixture
def owing(make_account, settings):
    """An account on a plan with a soft- and a hard-limited metric, and a send_invoice invoice due in 30 days."""
    settings.OVERDUE_FINAL_ACTION = "pause_subscription"
    account = make_account("Globex")
    with tenancy.operator_scope():
        for code in ("api_calls", "seats_used"):
            BillableMetric.objects.create(code=code, name=code, aggregation="count")
        chosen = plan(code="metered", flat=0, limits=[
            {"metric": "api_calls", "included": 1000, "cap_mode": "soft"},
            {"metric": "seats_used", "included": 1000, "cap_mode": "hard"}])
        sub = subscription_create(account=account, plan=chosen)
        invoice = invoice_finalize(invoice=draft(account, ("Support", 1, "99.00"), collection_method="send_invoice",
                                                 subscription_id=sub.pk))
    return account, sub, invoice


def state(account):
    with tenancy.operator_scope():
        return AccountStanding.objects.filter(account=account).values_list("overdue_state", flat=True).first()


def allowed(account):
    with tenancy.operator_scope():
        return {code: quota_check(account_id=account.pk, metric_code=code).allowed
                for code in ("api_calls", "seats_used")}


def run_on(capture, days_past_due):
    """The job on that day; what it commits runs then too (the state reaches Redis as the change commits)."""
    with clock.frozen(clock.now() + timedelta(days=30 + days_past_due, hours=1)), capture(execute=True), \
            tenancy.operator_scope():
        overdue_policy_apply()


def test_the_states_follow_the_days_past_due_with_audit_events_and_quota_answers(
        owing, django_capture_on_commit_callbacks):
    account, sub, invoice = owing
    seen = []
    for days in (1, 6, 7, 13, 14, 29, 30, 31):
        run_on(django_capture_on_commit_callbacks, days)
        seen.append((days, state(account) or "good", allowed(account)))
    soft_hard = {"api_calls": True, "seats_used": True}
    assert seen == [
        (1, "good", soft_hard), (6, "good", soft_hard), (7, "warning", soft_hard), (13, "warning", soft_hard),
        (14, "restricted", {"api_calls": False, "seats_used": True}),
        (29, "restricted", {"api_calls": False, "seats_used": True}),
        (30, "suspended", {"api_calls": False, "seats_used": False}),
        (31, "suspended", {"api_calls": False, "seats_used": False})]
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=sub.pk).status == "paused"
        events = list(OutboxEvent.objects.filter(type="billing.account.overdue_state_changed").order_by("id"))
        assert [(e.payload["previous_state"], e.payload["overdue_state"], e.payload["days_past_due"])
                for e in events] == [("good", "warning", 7), ("warning", "restricted", 14),
                                     ("restricted", "suspended", 30)]
        schema = catalog.envelope_schema(catalog.BY_TYPE["billing.account.overdue_state_changed"])
        for event in events:
            jsonschema.validate({**catalog.envelope_example(catalog.BY_TYPE[event.type]), "data": event.payload},
                                schema)
        assert AuditEntry.objects.filter(action="account.overdue_state_changed").count() == 3

    # Paying everything due restores the account in the paying commit: no job in between.
    with django_capture_on_commit_callbacks(execute=True), tenancy.operator_scope():
        invoice_mark_paid(invoice=invoice.pk, reference="TRF-LATE")
    assert state(account) == "good"
    assert allowed(account) == soft_hard
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=sub.pk).status == "active"
        last = OutboxEvent.objects.filter(type="billing.account.overdue_state_changed").latest("id")
        assert (last.payload["previous_state"], last.payload["overdue_state"]) == ("suspended", "good")


def test_a_refused_consumption_records_nothing(owing, django_capture_on_commit_callbacks):
    from metering.services import quota_consume

    account, _, invoice = owing
    run_on(django_capture_on_commit_callbacks, 15)
    with tenancy.operator_scope():
        refused = quota_consume(account_id=account.pk, metric_code="api_calls", idempotency_key="k1")
        assert not refused.allowed and not refused.consumed and refused.overdue_state == "restricted"
        assert quota_check(account_id=account.pk, metric_code="api_calls").usage == 0


def test_paused_dunning_holds_the_escalation(owing, django_capture_on_commit_callbacks):
    account, _, invoice = owing
    with tenancy.operator_scope():
        dunning_pause(account=account, note="Negotiating a payment plan")
    run_on(django_capture_on_commit_callbacks, 20)
    assert state(account) is None


def test_the_job_is_safe_to_run_twice(owing, django_capture_on_commit_callbacks):
    account, _, invoice = owing
    run_on(django_capture_on_commit_callbacks, 8)
    run_on(django_capture_on_commit_callbacks, 8)
    with tenancy.operator_scope():
        assert OutboxEvent.objects.filter(type="billing.account.overdue_state_changed").count() == 1
