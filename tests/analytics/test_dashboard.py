"""The finance dashboard (/admin/dashboard/) and the revenue recognition page: who may read them, the
figures they show (major units, formatted), and the admin lists each figure links to."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing import clock, tenancy
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from invoicing.models import Invoice
from tests.helpers import staff

pytestmark = pytest.mark.django_db

END_OF_MARCH = datetime(2027, 3, 31, 18, tzinfo=UTC)


def links(page) -> list[str]:
    return sorted({unescape(href) for href in re.findall(r'href="(/admin/[^"]*)"', page.content.decode())})


@pytest.fixture
def receivables(make_account):
    """Open USD invoices by days past due on 31 March 2027: current 10.00, 1-30 20.00 and 30.00, 31-60
    40.00, 90+ 50.00; a paid one counts nothing."""
    account = make_account()
    today = END_OF_MARCH.date()
    with tenancy.operator_scope():
        for n, (late, amount, status) in enumerate([(-5, 1_000, "open"), (1, 2_000, "open"), (30, 3_000, "open"),
                                                    (45, 4_000, "open"), (120, 5_000, "open"),
                                                    (60, 9_900, "paid")]):
            Invoice.objects.create(account=account, currency="USD", status=status, number=f"R-{n}",
                                   issue_date=today - timedelta(days=late + 30),
                                   due_date=today - timedelta(days=late), total=amount, amount_due=amount)
    return account


def test_finance_viewer_reads_the_figures_in_major_units(book, receivables):
    client = staff("viewer", FINANCE_VIEWER)
    with clock.frozen(END_OF_MARCH):
        page = client.get("/admin/dashboard/")
    assert page.status_code == 200
    text = unescape(page.content.decode())
    assert "$955.00" in text  # MRR at the end of March
    assert "$11,460.00" in text  # ARR
    assert "€160.00" in text  # EUR MRR, not converted
    assert "$200.00" in text  # reactivated in March
    assert "<svg" in text and "MRR in USD per month over the last 3 months" in text
    # The aging table: current, 1-30 (two), 31-60, 61-90, 90+
    aging = re.search(r'<table[^>]*class="dash-aging">.*?</table>', text, re.S).group(0)
    assert re.findall(r">(\$[\d,.]+)</a></td>", aging) == ["$10.00", "$50.00", "$40.00", "$0.00", "$50.00"]
    assert "5 open ($150.00)" in aging and "4 overdue ($140.00)" in aging


def test_every_figure_links_to_an_admin_list_that_opens(book, receivables):
    client = staff("viewer2", FINANCE_VIEWER)
    with clock.frozen(END_OF_MARCH):
        page = client.get("/admin/dashboard/")
    hrefs = links(page)
    assert any("invoicing/invoice/?" in h and "due_date__gte=2027-03-01" in h and "due_date__lte=2027-03-30" in h
               for h in hrefs)  # the 1-30 cell
    assert any(h.startswith("/admin/analytics/mrrsnapshot/?day=2027-03-31") for h in hrefs)
    assert any(h.startswith("/admin/billing/subscription/?plan__id__exact=") for h in hrefs)
    for href in hrefs:
        answer = client.get(href)
        assert answer.status_code == 200, href  # a lookup the admin refuses redirects to ?e=1


def test_the_aging_cell_lists_the_invoices_it_counts(receivables):
    client = staff("viewer3", FINANCE_VIEWER)
    with clock.frozen(END_OF_MARCH):
        page = client.get("/admin/dashboard/")
    cell = next(h for h in links(page) if "due_date__lte=2027-03-30" in h and "due_date__gte=2027-03-01" in h)
    listing = client.get(cell).content.decode()
    assert "R-1" in listing and "R-2" in listing and "R-3" not in listing and "R-0" not in listing


def test_the_admin_index_links_the_dashboard_first_for_finance_staff():
    index = staff("fin", FINANCE_ADMIN).get("/admin/").content.decode()
    assert index.index('href="/admin/dashboard/"') < index.index("/admin/billing/")


def test_who_may_not_read_it():
    assert Client().get("/admin/dashboard/").status_code == 302  # anonymous: to the sign-in
    user = get_user_model().objects.create_user("customer", password="x")  # signed in, not staff
    client = Client()
    client.force_login(user)
    answer = client.get("/admin/dashboard/")
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
    staff_only = get_user_model().objects.create_user("support", password="x", is_staff=True)
    client.force_login(staff_only)
    assert client.get("/admin/dashboard/").status_code == 403
    assert 'href="/admin/dashboard/"' not in client.get("/admin/").content.decode()
    assert client.get("/admin/revenue-recognition/").status_code == 403


def test_an_empty_dashboard_says_no_snapshot_yet():
    page = staff("viewer4", FINANCE_VIEWER).get("/admin/dashboard/")
    assert page.status_code == 200 and b"No MRR snapshot has been taken yet" in page.content


def test_revenue_recognition_page_and_csv(ledger):
    client = staff("viewer5", FINANCE_VIEWER)
    page = client.get("/admin/revenue-recognition/", {"currency": "USD", "from": "2027-01", "to": "2027-03"})
    assert page.status_code == 200
    text = unescape(page.content.decode())
    assert "$198.22" in text and "$1,110.68" in text  # January recognized, deferred
    csv = client.get("/admin/revenue-recognition/", {"currency": "USD", "from": "2027-01", "to": "2027-02",
                                                      "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "month,product,currency,recognized,deferred"
    assert "2027-01,Platform,USD,101.92,1098.08" in lines


def test_revenue_recognition_page_names_a_bad_month(ledger):
    page = staff("viewer6", FINANCE_VIEWER).get("/admin/revenue-recognition/", {"from": "2027-13"})
    assert page.status_code == 200 and b"From: A month is written YYYY-MM." in page.content


def test_amounts_use_the_currencys_own_digits(operator, make_account):
    from analytics.services import mrr_snapshot_take
    from billing.services import subscription_create
    from tests.billing.catalog_factories import plan

    subscription_create(account=make_account(), plan=plan("yen", flat=5_000, currency="JPY"))
    mrr_snapshot_take()
    text = unescape(staff("viewer7", FINANCE_VIEWER).get("/admin/dashboard/").content.decode())
    assert "¥5,000" in text and "¥5,000.00" not in text


def test_usage_revenue_last_month_and_three_month_average(ledger, book):
    with clock.frozen(END_OF_MARCH):
        text = unescape(staff("viewer8", FINANCE_VIEWER).get("/admin/dashboard/").content.decode())
    usd = text[text.index("<h3>USD</h3>"):]
    assert "Usage revenue, 2027-02</dt><dd><a" in usd
    # February 0.00; the average of February, January (31.00) and December (0.00): 10.333... -> 10.33
    assert re.search(r"3-month average</dt><dd><a [^>]*>\$10\.33<", usd)


def test_collections_success_rate_and_failures_by_code(receivables):
    from payments.models import Payment

    invoice = Invoice.objects.filter(number="R-1")
    with tenancy.operator_scope():
        invoice = invoice.get()
        for n, (status, code, days_ago) in enumerate([("succeeded", "", 2), ("succeeded", "", 3),
                                                      ("failed", "card_declined", 4), ("failed", "card_declined", 5),
                                                      ("failed", "expired_card", 6), ("failed", "card_declined", 45),
                                                      ("pending", "", 1)]):
            Payment.objects.create(account=invoice.account, invoice=invoice, amount=2_000, currency="USD",
                                   gateway="stripe", reference=f"pay-{n}", attempt=n + 1, status=status,
                                   failure_code=code, created_at=END_OF_MARCH - timedelta(days=days_ago))
    client = staff("viewer9", FINANCE_VIEWER)
    with clock.frozen(END_OF_MARCH):
        page = client.get("/admin/dashboard/")
    text = unescape(page.content.decode())
    assert ">40%</a>" in text and "of 5 settled" in text  # 2 of 5 in 30 days; the pending one is not settled
    declined = next(h for h in links(page) if "failure_code=card_declined" in h)
    listing = client.get(declined).content.decode()
    rows = re.findall(r'field-reference">([^<]+)<', listing)  # a row's checkbox label names it too
    assert sorted(rows) == ["pay-2", "pay-3"]
