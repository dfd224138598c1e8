"""A feature switched off in the environment runs none of its jobs (docs/configuration.md):
no bill runs without INVOICING_ENABLED, no charges without PAYMENTS_ENABLED, no retries
without DUNNING_ENABLED, no reconciliation without RECONCILIATION_ENABLED."""

import pytest

from billing import tenancy
from billing.conf import FEATURE_FLAGS
from billing.jobs import JOB_FEATURES

pytestmark = pytest.mark.django_db


def run(task_name: str):
    from config.celery import app

    app.loader.import_default_modules()
    return app.tasks[task_name].apply()


def reconciliation_runs() -> int:
    from payments.models import ReconciliationRun

    with tenancy.operator_scope():
        return ReconciliationRun.objects.count()


def test_the_daily_reconciliation_runs_when_enabled(settings):
    settings.RECONCILIATION_ENABLED = True
    run("payments.reconciliation_daily")
    assert reconciliation_runs() == 1


def test_the_daily_reconciliation_is_skipped_when_disabled(settings):
    settings.RECONCILIATION_ENABLED = False
    assert run("payments.reconciliation_daily").result is None
    assert reconciliation_runs() == 0


@pytest.mark.parametrize(("flag", "task_name"), [
    ("payments", "payments.collect_uncollected"),
    ("payments", "payments.dunning_retry_due"),
    ("dunning", "payments.dunning_retry_due"),
    ("invoicing", "invoicing.bill_run"),
    ("invoicing", "invoicing.finalize_due"),
])
def test_a_job_of_a_disabled_feature_does_nothing(settings, flag, task_name):
    assert run(task_name).result is not None  # enabled: it runs and reports what it did
    setattr(settings, FEATURE_FLAGS[flag], False)
    assert run(task_name).result is None


def test_every_mapped_job_exists_and_names_a_known_flag(settings):
    from config.celery import app

    app.loader.import_default_modules()
    for task_name, flags in JOB_FEATURES.items():
        assert task_name in app.tasks, task_name
        assert set(flags) <= set(FEATURE_FLAGS), task_name
