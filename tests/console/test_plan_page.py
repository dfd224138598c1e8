"""The console's plan page: the public plans side by side with the current one marked; a change of plan or seats
previewed from `subscription_change_preview` and confirmed once; the scheduled change and its cancellation;
cancelling at the period end with a reason and keeping the subscription; resuming. Viewers read only; another
account's subscription is not found."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import tenancy
from billing.models import AuditEntry, ProrationItem, ScheduledChange, Subscription
from tests.console_world import page_text, signed_in, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(world):  # noqa: F811
    """Besides Scale ($49/month): a cheaper Starter, a Business plan that sells seats and invoices prorations at
    once, and a private plan the console must not offer."""
    from tests.billing.catalog_factories import plan

    with tenancy.operator_scope():
        starter = plan(code="starter", flat=1_900, sort_order=-1, features=["Email support"],
                       limits=[{"metric": "api_calls", "included": 50, "cap_mode": "hard"}])
        business = plan(code="business", flat=9_900, seat=1_500, included_seats=3, max_seats=50, sort_order=5,
                        features=["Priority support", "Single sign-on"], proration_behavior="always_invoice",
                        limits=[{"metric": "api_calls", "included": 10_000, "cap_mode": "soft"}])
        private = plan(code="custom-deal", flat=100, is_public=False)
    return {"starter": starter, "business": business, "private": private}


def subscription(world):  # noqa: F811
    with tenancy.operator_scope():
        return Subscription.objects.select_related("plan").get(pk=world.subscription.pk)


def url(world, action=""):  # noqa: F811
    return f"/console/plan/{world.subscription.pk}/{action}"


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def cards(html: str) -> list[str]:
    return re.findall(r'<article class="card plan[^"]*"[^>]*>(.*?)</article>', html, re.S)


@pytest.mark.parametrize("role", ["owner", "billing_manager", "viewer"])
def test_every_role_sees_the_public_plans_side_by_side_with_the_current_one_marked(world, catalog, role):  # noqa: F811
    response = signed_in(world.user(role)).get("/console/plan/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = cards(html)
    assert [re.search(r"<h3[^>]*>(.*?)</h3>", card).group(1) for card in shown] == ["Starter", "Scale", "Business"]
    assert "Custom-Deal" not in html  # private plans are sold by finance
    starter, scale, business = (words(card) for card in shown)
    assert "Current plan" in scale and "Current plan" not in starter + business
    assert "$49.00 per month" in scale and "$19.00 per month" in starter
    assert "LLM tokens: 1,000,000 tokens included, then $0.02 per 1,000 tokens" in scale
    assert "Data exports: Unlimited" in scale and "API calls: 50 calls included, hard limit" in starter
    assert "3 seats included" in business and "$15.00 per extra seat" in business and "up to 50 seats" in business
    assert "Priority support" in business and "Email support" in starter
    assert '<a href="/console/plan/" aria-current="page">Plan</a>' in html  # in the navigation, marked
    may_change = role != "viewer"
    assert ("Choose" in starter) is may_change and "Choose" not in scale
    assert ("Cancel at the end of the period" in html) is may_change


def test_choosing_a_plan_previews_what_is_charged_now_and_at_renewal_then_confirms_once(world, catalog):  # noqa: F811
    from billing.services import subscription_change_preview

    client = signed_in(world.manager)
    preview = client.get(url(world, "change/"), {"plan": "business"})
    assert preview.status_code == 200
    with tenancy.operator_scope():
        expected = subscription_change_preview(subscription=subscription(world), plan=catalog["business"])
    assert expected.amount_due_now > 0 and expected.proration  # an upgrade, invoiced at once
    text = page_text(preview)
    assert "Now Scale with 1 seat After the change Business with 1 seat Takes effect now" in text
    assert f"Charged now ${expected.amount_due_now / 100:,.2f}" in text
    assert f"${expected.next_renewal_amount / 100:,.2f}" in text and "At renewal on" in text
    with tenancy.operator_scope():
        assert subscription(world).plan.code == "scale"  # a preview writes nothing
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.content.decode()))
    confirmed = client.post(url(world, "change/"), form)
    assert confirmed.status_code == 302 and confirmed["Location"] == "/console/plan/"
    with tenancy.operator_scope():
        assert subscription(world).plan.code == "business"
        items = ProrationItem.objects.filter(subscription_id=world.subscription.pk).count()
    again = client.post(url(world, "change/"), form, follow=True)  # the same confirmation sent twice
    assert "This change was already made." in page_text(again)
    with tenancy.operator_scope():
        assert ProrationItem.objects.filter(subscription_id=world.subscription.pk).count() == items


def test_a_downgrade_is_scheduled_listed_and_can_be_cancelled(world, catalog):  # noqa: F811
    client = signed_in(world.owner)
    preview = client.get(url(world, "change/"), {"plan": "starter"})
    assert "at the end of the current period" in page_text(preview) and "Charged now $0.00" in page_text(preview)
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.content.decode()))
    page = client.post(url(world, "change/"), form, follow=True)
    text = page_text(page)
    assert "Starter with 1 seat starts on" in text and "Scheduled: Starter with 1 seat from" in text
    assert "Cancel this change" in text
    dropped = client.post(url(world, "scheduled-change/cancel/"), follow=True)
    assert "The scheduled change was cancelled" in page_text(dropped) and "Scheduled:" not in page_text(dropped)
    with tenancy.operator_scope():
        assert not ScheduledChange.objects.filter(subscription_id=world.subscription.pk, status="pending").exists()
        assert subscription(world).plan.code == "scale"
    twice = client.post(url(world, "scheduled-change/cancel/"), follow=True)
    assert twice.status_code == 200 and "no scheduled change" in page_text(twice)


def test_seats_are_previewed_and_too_many_are_refused_keeping_what_was_typed(world, catalog):  # noqa: F811
    from billing.services import subscription_change

    with tenancy.operator_scope():
        subscription_change(subscription=subscription(world), plan=catalog["business"], quantity=3)
    client = signed_in(world.manager)
    page = client.get("/console/plan/")
    assert 'name="quantity"' in page.content.decode()
    too_many = client.get(url(world, "change/"), {"quantity": "51"})
    assert too_many.status_code == 400
    assert "This plan allows at most 50 seats." in page_text(too_many)
    assert re.search(r'name="quantity" value="51"', too_many.content.decode())
    preview = client.get(url(world, "change/"), {"quantity": "5"})
    assert preview.status_code == 200 and "Business with 5 seats" in page_text(preview)
    not_a_number = client.get(url(world, "change/"), {"quantity": "five"})
    assert not_a_number.status_code == 400 and 'value="five"' in not_a_number.content.decode()


def test_a_stale_preview_is_not_applied(world, catalog):  # noqa: F811
    from billing.services import subscription_change

    client = signed_in(world.manager)
    preview = client.get(url(world, "change/"), {"plan": "business"})
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.content.decode()))
    with tenancy.operator_scope():  # someone else schedules a downgrade in between
        subscription_change(subscription=subscription(world), plan=catalog["starter"])
    response = client.post(url(world, "change/"), form)
    assert response.status_code == 302 and response["Location"].startswith(url(world, "change/") + "?")
    with tenancy.operator_scope():
        assert subscription(world).plan.code == "scale"


def test_cancel_at_period_end_with_a_reason_then_keep_the_subscription(world, catalog):  # noqa: F811
    client = signed_in(world.manager)
    missing = client.post(url(world, "cancel/"), {"reason": "other", "details": ""})
    assert missing.status_code == 400 and "Say what the reason is." in page_text(missing)
    assert re.search(r'value="other"[^>]*checked|checked[^>]*value="other"', missing.content.decode())
    page = client.post(url(world, "cancel/"), {"reason": "other", "details": "We are closing the team"}, follow=True)
    text = page_text(page)
    assert "Your subscription ends on" in text and "Keep my subscription" in text
    assert "Reason given: Another reason: We are closing the team." in text
    with tenancy.operator_scope():
        sub = subscription(world)
        assert sub.cancel_at_period_end and sub.cancel_reason == "other: We are closing the team"
        entry = AuditEntry.objects.filter(action="subscription.cancel_scheduled", object_id=str(sub.pk)).get()
        assert entry.after["cancel_reason"] == "other: We are closing the team"
    kept = client.post(url(world, "cancel/undo/"), follow=True)
    assert "Your subscription continues" in page_text(kept) and "Keep my subscription" not in page_text(kept)
    with tenancy.operator_scope():
        assert not subscription(world).cancel_at_period_end
    twice = client.post(url(world, "cancel/undo/"), follow=True)
    assert twice.status_code == 200 and "no scheduled cancellation" in page_text(twice)


def test_a_paused_subscription_is_resumed(world, catalog):  # noqa: F811
    from billing.services import subscription_pause

    with tenancy.operator_scope():
        subscription_pause(subscription=subscription(world))
    client = signed_in(world.owner)
    assert "Resume my subscription" in page_text(client.get("/console/plan/"))
    page = client.post(url(world, "resume/"), follow=True)
    assert "Your subscription is active again." in page_text(page)
    with tenancy.operator_scope():
        assert subscription(world).status == "active"


@pytest.mark.parametrize("action, data", [("change/", {"plan": "business"}), ("cancel/", {"reason": "switching"}),
                                          ("cancel/undo/", {}), ("resume/", {}), ("scheduled-change/cancel/", {})])
def test_a_viewer_is_refused_every_change(world, catalog, action, data):  # noqa: F811
    client = signed_in(world.viewer)
    before = AuditEntry.objects.count()
    assert client.post(url(world, action), data).status_code == 403
    assert AuditEntry.objects.count() == before
    assert client.get(url(world, "change/"), {"plan": "business"}).status_code == 403


@pytest.mark.parametrize("action", ["change/?plan=business", "cancel/", "cancel/undo/", "resume/",
                                    "scheduled-change/cancel/"])
def test_another_accounts_subscription_is_not_found(world, catalog, action):  # noqa: F811
    client = signed_in(world.outsider)  # owner of Globex, not of Acme
    response = client.get(url(world, action)) if "?" in action else client.post(url(world, action),
                                                                                 {"reason": "switching"})
    assert response.status_code == 404
    with tenancy.operator_scope():
        sub = subscription(world)
        assert sub.plan.code == "scale" and not sub.cancel_at_period_end


def test_the_plan_page_reads_the_same_number_of_queries_whatever_the_catalog(world, catalog):  # noqa: F811
    from tests.billing.catalog_factories import plan

    client = signed_in(world.owner)
    client.get("/console/plan/")
    with CaptureQueriesContext(connection) as few:
        client.get("/console/plan/")
    with tenancy.operator_scope():
        for n in range(4):
            plan(code=f"extra-{n}", flat=1_000 + n, limits=[{"metric": "api_calls", "included": 10 + n}],
                 charges=[{"metric": "llm_tokens", "currency": "USD", "unit_price": "0.01"}])
    with CaptureQueriesContext(connection) as many:
        response = client.get("/console/plan/")
    assert len(cards(response.content.decode())) == 7
    assert len(many) == len(few)


def test_prorations_billed_at_renewal_are_shown_as_added_to_the_next_invoice(world, catalog):  # noqa: F811
    from billing.services import subscription_change_preview
    from tests.billing.catalog_factories import plan

    with tenancy.operator_scope():
        growth = plan(code="growth", flat=7_900)  # the default proration: onto the next invoice
        expected = subscription_change_preview(subscription=subscription(world), plan=growth)
    assert expected.amount_due_now == 0 and expected.proration_total > 0
    text = page_text(signed_in(world.owner).get(url(world, "change/"), {"plan": "growth"}))
    assert "Charged now $0.00" in text
    assert f"Added to your next invoice ${expected.proration_total / 100:,.2f}" in text


def test_prices_and_dates_are_formatted_for_the_readers_language(world, catalog):  # noqa: F811
    from billing.display import Display

    with tenancy.operator_scope():
        period_end = subscription(world).current_period_end
    client = signed_in(world.owner)
    french = page_text(client.get("/console/plan/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert Display("fr").money(4_900, "USD") in french and Display("fr").money(1_500, "USD") in french
    assert Display("fr").day(period_end) in french
    german = page_text(client.get(url(world, "change/"), {"plan": "starter"}, HTTP_ACCEPT_LANGUAGE="de"))
    assert Display("de").money(1_900, "USD") in german and Display("de").day(period_end) in german
