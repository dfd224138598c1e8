"""The finance search box (/admin/search/) and the periodic jobs page (/admin/jobs/)."""

import pytest
from django.conf import settings

from billing import tenancy
from billing.models import JobRun
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from tests.helpers import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(make_account, settings, tmp_path):
    from invoicing.services import invoice_finalize
    from payments.models import GatewayCustomer
    from tests.invoicing.factories import draft, profile

    settings.MEDIA_ROOT = str(tmp_path)
    acme = make_account("Acme Corp", external_id="crm-4711")
    globex = make_account("Globex Inc", external_id="crm-9000")
    with tenancy.operator_scope():
        profile(globex, email="ap@globex.example")
        GatewayCustomer.objects.create(account=globex, gateway="stripe", customer_id="cus_Globex123")
        invoice = invoice_finalize(invoice=draft(acme, ("Plan", 1, "99.00")))
    return acme, globex, invoice


def names(client, query):
    page = client.get("/admin/search/", {"q": query})
    assert page.status_code == 200
    return [a.name for a in page.context["accounts"]], [i.number for i in page.context["invoices"]]


@pytest.mark.parametrize(("query", "account"), [("acme", "Acme Corp"), ("CRM-4711", "Acme Corp"),
                                                ("ap@globex", "Globex Inc"), ("cus_Globex123", "Globex Inc")])
def test_one_box_finds_accounts_by_name_email_external_id_or_stripe_id(found, query, account):
    assert names(staff("viewer", FINANCE_VIEWER), query)[0] == [account]


def test_one_box_finds_an_invoice_by_its_number_and_shows_its_total(found):
    _, _, invoice = found
    client = staff("viewer", FINANCE_VIEWER)
    assert names(client, invoice.number) == ([], [invoice.number])
    page = client.get("/admin/search/", {"q": invoice.number}).content.decode()
    assert "$99.00" in page and f"/admin/invoicing/invoice/{invoice.pk}/change/" in page


def test_the_search_box_is_in_the_admin_header(found):
    page = staff("fin", FINANCE_ADMIN).get("/admin/invoicing/invoice/").content.decode()
    assert 'action="/admin/search/"' in page and '<label for="finance-search">' in page


def test_staff_outside_the_finance_groups_cannot_search(found):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.create_user("ops", password="x", is_staff=True))
    assert client.get("/admin/search/", {"q": "acme"}).status_code == 403


def test_the_jobs_page_lists_every_scheduled_job_with_its_description(found):
    page = staff("viewer", FINANCE_VIEWER).get("/admin/jobs/")
    jobs = {job.name: job for job in page.context["jobs"]}
    assert set(jobs) == set(settings.CELERY_BEAT_SCHEDULE)
    assert all(job.description for job in jobs.values())
    assert jobs["invoicing-bill-run"].next_run is not None


def test_a_run_is_recorded_with_its_duration_and_outcome_and_shown(found):
    from billing.tasks import heartbeat

    heartbeat.apply()
    run = JobRun.objects.get(task="billing.heartbeat")
    assert run.outcome == "SUCCESS" and run.duration_ms is not None and run.started_at <= run.finished_at
    page = staff("viewer", FINANCE_VIEWER).get("/admin/jobs/")
    job = next(job for job in page.context["jobs"] if job.task == "billing.heartbeat")
    assert job.last_run == run and "succeeded" in page.content.decode()


def test_a_job_the_beat_stored_is_edited_in_django_celery_beat_admin(found):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.SECONDS)
    stored = PeriodicTask.objects.create(name="outbox-deliver", task="billing.outbox_deliver", interval=every,
                                         description="Sends the recorded domain events.")
    admin_page = staff("fin", FINANCE_ADMIN).get("/admin/jobs/").content.decode()
    assert f"/admin/django_celery_beat/periodictask/{stored.pk}/change/" in admin_page
    edit = staff("fin2", FINANCE_ADMIN).get(f"/admin/django_celery_beat/periodictask/{stored.pk}/change/")
    assert edit.status_code == 200 and b'name="_save"' in edit.content
    viewer_page = staff("viewer", FINANCE_VIEWER).get("/admin/jobs/").content.decode()
    assert f"/admin/django_celery_beat/periodictask/{stored.pk}/change/" not in viewer_page


def test_a_finance_admin_stores_the_declared_jobs_before_any_beat_ran(found):
    from django_celery_beat.models import PeriodicTask

    viewer = staff("viewer", FINANCE_VIEWER)
    assert b"Store the declared jobs now" not in viewer.get("/admin/jobs/").content
    assert viewer.post("/admin/jobs/").status_code == 403
    client = staff("fin", FINANCE_ADMIN)
    assert b"Store the declared jobs now" in client.get("/admin/jobs/").content
    client.post("/admin/jobs/")
    stored = PeriodicTask.objects.get(name="invoicing-bill-run")
    assert stored.task == "invoicing.bill_run" and stored.description.startswith("The bill run")
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= set(settings.CELERY_BEAT_SCHEDULE)
    page = client.get("/admin/jobs/").content.decode()
    assert f"/admin/django_celery_beat/periodictask/{stored.pk}/change/" in page and "not stored yet" not in page
