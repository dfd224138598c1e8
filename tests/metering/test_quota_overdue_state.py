"""Quota answers under the overdue policy: a restricted account is refused its soft-limit metrics, a suspended
one everything; the fast lane reads the state in its Redis round trip, so a change (paying everything due)
is answered at the next check, by the lane as by Django."""

import pytest

from billing import tenancy
from billing.outbox import outbox_deliver_batch
from billing.services import account_standing_change
from metering.quotas.fastlane import QuotaFastLane
from metering.services import quota_check
from tests.metering.lanes import CountingDjango, wsgi_call

pytestmark = pytest.mark.django_db
LIMITS = [{"metric": "api_calls", "included": 100, "cap_mode": "soft"},
          {"metric": "exports", "included": 100, "cap_mode": "hard"}]


@pytest.fixture
def account(make_metric, subscribe):
    make_metric("api_calls")
    make_metric("exports")
    make_metric("free_calls")  # no limit on the plan
    account = subscribe(limits=LIMITS)
    with tenancy.operator_scope():
        # The subscription's own events first: its first invoice (nothing due) would set the standing from
        # the invoices (nothing past due: good) when paid, over the states these tests set by hand.
        while outbox_deliver_batch():
            pass
    return account


def move(account, state, capture):
    with capture(execute=True), tenancy.operator_scope():
        account_standing_change(account_id=account.pk, state=state, days_past_due=0)


def answers(account):
    with tenancy.operator_scope():
        return {code: quota_check(account_id=account.pk, metric_code=code).allowed
                for code in ("api_calls", "exports", "free_calls")}


def test_each_state_refuses_what_the_policy_says(account, django_capture_on_commit_callbacks):
    assert answers(account) == {"api_calls": True, "exports": True, "free_calls": True}
    move(account, "warning", django_capture_on_commit_callbacks)
    assert answers(account) == {"api_calls": True, "exports": True, "free_calls": True}
    move(account, "restricted", django_capture_on_commit_callbacks)
    assert answers(account) == {"api_calls": False, "exports": True, "free_calls": True}
    move(account, "suspended", django_capture_on_commit_callbacks)
    assert answers(account) == {"api_calls": False, "exports": False, "free_calls": False}
    move(account, "good", django_capture_on_commit_callbacks)
    assert answers(account) == {"api_calls": True, "exports": True, "free_calls": True}


def test_the_fast_lane_follows_a_change_at_the_next_check(account, api_key_for, keep_test_transaction,
                                                          django_capture_on_commit_callbacks):
    lane = QuotaFastLane(CountingDjango())
    key = api_key_for(account, ["usage:read"])

    def check():
        return wsgi_call(lane, key, {"metric": "api_calls"}, "/api/v1/quotas/check", "POST")

    check()  # Django answers and warms the caches
    status, _, body = check()
    assert lane.app.calls == 1 and status == 200 and body["allowed"] and body["overdue_state"] == "good"
    move(account, "restricted", django_capture_on_commit_callbacks)
    status, _, body = check()
    assert lane.app.calls == 1  # the lane answered, with the new state
    assert (body["allowed"], body["overdue_state"]) == (False, "restricted"), body
    move(account, "good", django_capture_on_commit_callbacks)
    status, _, body = check()
    assert lane.app.calls == 1 and body["allowed"] is True and body["overdue_state"] == "good"
