"""`advance_clock` prints one line per job run (what it did, counts), never an email's body; and the README's
time-travel example moves the demo past a renewal and its grace period, so the console shows the invoice."""

import io
import re

import pytest
from django.core.management import call_command

from billing import clock, tenancy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _forget_the_offset():
    yield
    clock.invalidate()


def test_each_job_run_is_one_line_with_its_counts_and_no_email_body(settings, capsys):
    from billing.mail import CONSOLE
    from billing.services import account_create

    settings.EMAIL_BACKEND = CONSOLE  # the development default, which prints every body
    with tenancy.operator_scope():
        account_create(name="Quiet")
    out = io.StringIO()
    call_command("advance_clock", "2d", "--step", "1d", "--run-jobs", stdout=out)
    lines = out.getvalue().splitlines()
    jobs = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    job_lines = [line for line in lines if line.startswith("  ")]
    assert len(job_lines) == 2 * len(jobs)
    assert [line.split(":")[0].strip() for line in job_lines[:len(jobs)]] == jobs
    assert all(re.fullmatch(r"  [\w.]+: .+", line) for line in job_lines)
    assert "Content-Type" not in capsys.readouterr().out
    assert settings.EMAIL_BACKEND == CONSOLE  # put back


def test_the_readme_example_shows_the_demo_renewal_in_the_console(settings, mailoutbox):
    from invoicing.models import BillingReason, Invoice
    from invoicing.selectors_console import invoices_listed

    settings.PAYMENTS_GATEWAY = "sandbox"
    call_command("load_demo", stdout=io.StringIO())
    readme = (settings.BASE_DIR / "README.md").read_text()
    example = re.search(r"`manage.py (advance_clock [^`]+)`", readme).group(1).split()
    out = io.StringIO()
    call_command(*example, stdout=out)
    with tenancy.operator_scope():
        renewals = list(Invoice.objects.filter(billing_reason=BillingReason.SUBSCRIPTION_CYCLE,
                                               account__name="Acme Corp"))
        assert renewals and all(i.status != "draft" for i in renewals)
        shown = invoices_listed(account_id=renewals[0].account_id)
        assert renewals[0].pk in {i.pk for i in shown}
        assert renewals[0].status == "paid"  # the demo card was charged
    assert any("renew" in m.subject.lower() or "invoice" in m.subject.lower() for m in mailoutbox)
    assert "Content-Type" not in out.getvalue()
