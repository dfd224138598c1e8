"""A reconciliation run killed halfway (left `running`) is finished by the next call with its key, instead of
being returned unfinished for 24 hours (the daily job would never reconcile that day)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import tenancy
from payments.models import ReconciliationRun
from payments.services.reconciliation import reconciliation_daily

pytestmark = pytest.mark.django_db


def test_a_daily_run_killed_halfway_is_finished_by_the_next_call(flush_stripe, stripe_gateway):
    with tenancy.operator_scope():
        end = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(days=1)
        killed = ReconciliationRun.objects.create(
            gateway="stripe", window_start=start, window_end=end, trigger="schedule", currency="USD",
            idempotency_key=f"reconciliation:daily:{start.date().isoformat()}",
            created_at=timezone.now() - timedelta(hours=2))
        run = reconciliation_daily()
    assert run.pk == killed.pk
    assert run.status == "completed" and run.finished_at is not None


def test_a_run_in_progress_is_returned_as_it_is(flush_stripe, stripe_gateway):
    with tenancy.operator_scope():
        end = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        start = end - timedelta(days=1)
        running = ReconciliationRun.objects.create(
            gateway="stripe", window_start=start, window_end=end, trigger="schedule", currency="USD",
            idempotency_key=f"reconciliation:daily:{start.date().isoformat()}", created_at=timezone.now())
        run = reconciliation_daily()
    assert (run.pk, run.status) == (running.pk, "running")
