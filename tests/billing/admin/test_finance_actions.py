"""Every money action of the invoice and subscription admins, as a finance admin and a finance viewer would
use them: allowed (done by the service, the typed reason on the audit entry), refused by state (the reason
shown, nothing changed), refused by permission (a viewer has no action but the export)."""

import pytest

from billing import tenancy
from billing.models import AuditEntry, CreditEntry, Subscription
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from invoicing.models import CreditNote, Invoice
from invoicing.services import invoice_finalize
from tests.helpers import staff
from tests.invoicing.factories import draft

pytestmark = pytest.mark.django_db

INVOICES = "/admin/invoicing/invoice/"
SUBSCRIPTIONS = "/admin/billing/subscription/"
REASON = "Agreed with the customer on the phone"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def account(make_account):
    return make_account("Acme")


def drafted(account, price="124.00"):
    with tenancy.operator_scope():
        return draft(account, ("Plan", 1, price))


def opened(account, price="124.00"):
    with tenancy.operator_scope():
        return invoice_finalize(invoice=drafted(account, price))


def act(client, url, action, ids, **fields):
    return client.post(url, {"action": action, "_selected_action": ids, "_confirm": "1", **fields}, follow=True)


def status(invoice) -> str:
    with tenancy.operator_scope():
        return Invoice.objects.get(pk=invoice.pk).status


def reasons(obj, object_type: str) -> set[str]:
    with tenancy.operator_scope():
        return set(AuditEntry.objects.filter(object_type=object_type, object_id=str(obj.pk))
                   .values_list("reason", flat=True))


INVOICE_ACTIONS = [
    # action, how the invoice is made, extra fields, the status after, a state that forbids it, its message
    ("finalize", drafted, {}, "open", opened, "Only draft invoices can be finalized; this one is open."),
    ("void", opened, {}, "void", drafted, "Only open or uncollectible invoices can be voided; this one is draft."),
    ("mark_uncollectible", opened, {}, "uncollectible", drafted,
     "Only open invoices can be marked uncollectible; this one is draft."),
    ("mark_paid", opened, {"reference": "SEPA-42"}, "paid", drafted,
     "Only open or uncollectible invoices can be marked paid; this one is draft."),
]


@pytest.mark.parametrize(("action", "make", "fields", "after", "_forbidden", "_message"), INVOICE_ACTIONS)
def test_a_finance_admin_acts_and_the_reason_lands_in_the_audit_entry(account, action, make, fields, after,
                                                                      _forbidden, _message):
    invoice = make(account)
    client = staff("fin", FINANCE_ADMIN)
    preview = client.post(INVOICES, {"action": action, "_selected_action": [invoice.pk]}).content.decode()
    assert "$124.00" in preview and 'name="reason"' in preview  # the amounts, and a reason to give
    assert status(invoice) == make.__name__.replace("drafted", "draft").replace("opened", "open")
    act(client, INVOICES, action, [invoice.pk], reason=REASON, **fields)
    assert status(invoice) == after
    assert REASON in reasons(invoice, "invoicing.invoice")


@pytest.mark.parametrize(("action", "_make", "fields", "_after", "forbidden", "message"), INVOICE_ACTIONS)
def test_an_action_the_state_forbids_is_refused_with_the_reason_shown(account, action, _make, fields, _after,
                                                                      forbidden, message):
    invoice = forbidden(account)
    before = status(invoice)
    page = act(staff("fin", FINANCE_ADMIN), INVOICES, action, [invoice.pk], reason=REASON, **fields)
    assert message in page.content.decode()
    assert status(invoice) == before
    assert REASON not in reasons(invoice, "invoicing.invoice")


def test_an_action_without_a_reason_is_not_done(account):
    invoice = opened(account)
    page = act(staff("fin", FINANCE_ADMIN), INVOICES, "void", [invoice.pk], reason="  ")
    assert "This field is required." in page.content.decode()
    assert status(invoice) == "open"


@pytest.mark.parametrize(("action", "make", "fields"), [(a, m, f) for a, m, f, *_ in INVOICE_ACTIONS])
def test_a_finance_viewer_cannot_act(account, action, make, fields):
    invoice = make(account)
    before = status(invoice)
    client = staff("viewer", FINANCE_VIEWER)
    listing = client.get(INVOICES)
    offered = [name for name, _ in listing.context["action_form"].fields["action"].choices if name]
    assert sorted(offered) == ["download_ubl", "export_invoices_csv"]  # reading and exporting only
    act(client, INVOICES, action, [invoice.pk], reason=REASON, **fields)
    assert status(invoice) == before


def test_a_credit_note_from_the_admin_carries_the_reason_on_its_audit_entry(account):
    invoice = opened(account)
    client = staff("fin", FINANCE_ADMIN)
    preview = client.post(INVOICES, {"action": "credit", "_selected_action": [invoice.pk], "_preview": "1",
                                     "amount": "24.00", "reason": REASON}).content.decode()
    assert "Issue a credit note of $24.00" in preview and "amount due $124.00 → $100.00" in preview
    act(client, INVOICES, "credit", [invoice.pk], amount="24.00", reason=REASON)
    with tenancy.operator_scope():
        note = CreditNote.objects.get(invoice=invoice)
    assert note.total == 2400 and REASON in reasons(note, "invoicing.creditnote")
    again = act(client, INVOICES, "credit", [drafted(account).pk], amount="1.00", reason=REASON)
    assert "invoices can be credited; this one is draft." in again.content.decode()


def test_a_paid_invoice_shows_no_save_button_and_its_lines_are_read_only(account):
    from invoicing.services import invoice_mark_paid

    with tenancy.operator_scope():
        invoice = invoice_mark_paid(invoice=opened(account), reference="SEPA-1")
    page = staff("fin", FINANCE_ADMIN).get(f"{INVOICES}{invoice.pk}/change/").content.decode()
    assert 'name="_save"' not in page and 'name="memo"' not in page
    draft_page = staff("fin2", FINANCE_ADMIN).get(f"{INVOICES}{drafted(account).pk}/change/").content.decode()
    assert 'name="_save"' in draft_page  # a draft's memo is still editable


def test_audit_entries_are_never_editable(account):
    invoice = opened(account)
    with tenancy.operator_scope():
        entry = AuditEntry.objects.filter(object_id=str(invoice.pk)).first()
    page = staff("fin", FINANCE_ADMIN).get(f"/admin/billing/auditentry/{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in page


# --- subscriptions: change plan, cancel; credit grants ------------------------------------------------------

@pytest.fixture
def subscribed(account):
    from tests.invoicing.factories import subscription

    with tenancy.operator_scope():
        return subscription(account)


def sub_state(sub):
    with tenancy.operator_scope():
        found = Subscription.objects.get(pk=sub.pk)
        return found.status, found.cancel_at_period_end


@pytest.mark.parametrize(("action", "after"), [("cancel_now", ("canceled", False)),
                                               ("cancel_at_period_end", ("active", True))])
def test_a_cancellation_is_confirmed_then_done_with_its_reason(subscribed, action, after):
    client = staff("fin", FINANCE_ADMIN)
    page = client.post(SUBSCRIPTIONS, {"action": action, "_selected_action": [subscribed.pk]}).content.decode()
    assert "Cancel" in page and 'name="reason"' in page
    assert sub_state(subscribed) == ("active", False)
    act(client, SUBSCRIPTIONS, action, [subscribed.pk], reason=REASON)
    assert sub_state(subscribed) == after
    assert REASON in reasons(subscribed, "billing.subscription")
    refused = act(client, SUBSCRIPTIONS, action, [subscribed.pk], reason=REASON).content.decode()
    assert "already" in refused


def test_a_viewer_cannot_cancel(subscribed):
    client = staff("viewer", FINANCE_VIEWER)
    act(client, SUBSCRIPTIONS, "cancel_now", [subscribed.pk], reason=REASON)
    assert sub_state(subscribed) == ("active", False)


def test_a_credit_grant_keeps_its_reason_on_the_audit_entry(account):
    client = staff("fin", FINANCE_ADMIN)
    client.post("/admin/billing/creditentry/add/", {"account": account.pk, "amount": "10.00", "currency": "usd",
                                                    "reason": REASON, "_confirm": "1"})
    with tenancy.operator_scope():
        grant = CreditEntry.objects.get(account=account)
    assert grant.amount == 1000 and reasons(grant, "billing.creditentry") == {REASON}
    viewer = staff("viewer", FINANCE_VIEWER)
    assert viewer.post("/admin/billing/creditentry/add/", {"account": account.pk, "amount": "10.00",
                                                           "currency": "usd", "reason": REASON,
                                                           "_confirm": "1"}).status_code == 403


def test_a_plan_change_keeps_its_reason_and_a_viewer_cannot_change_plans(account):
    from billing.services import subscription_create
    from tests.billing.catalog_factories import plan

    with tenancy.operator_scope():
        sub = subscription_create(account=account, plan=plan(code="basic", flat=9_000))
        pro = plan(code="pro", flat=20_000)
    act(staff("viewer", FINANCE_VIEWER), SUBSCRIPTIONS, "change_plan", [sub.pk], plan=pro.pk, reason=REASON)
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=sub.pk).plan_id != pro.pk
    act(staff("fin", FINANCE_ADMIN), SUBSCRIPTIONS, "change_plan", [sub.pk], plan=pro.pk, reason=REASON)
    with tenancy.operator_scope():
        assert Subscription.objects.get(pk=sub.pk).plan_id == pro.pk
    assert REASON in reasons(sub, "billing.subscription")


def test_the_reason_is_read_back_through_the_audit_api(account, api_client, api_key_for):
    invoice = opened(account)
    act(staff("fin", FINANCE_ADMIN), INVOICES, "void", [invoice.pk], reason=REASON)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(None)}")
    entries = api_client.get("/api/v1/audit-entries?object_type=invoicing.invoice").json()["results"]
    assert REASON in {entry["reason"] for entry in entries if entry["object_id"] == str(invoice.pk)}


def collected_by(sub):
    with tenancy.operator_scope():
        return (Subscription.objects.get(pk=sub.pk).metadata or {}).get("collection_method")


def test_finance_sets_how_a_subscriptions_invoices_are_collected_with_a_reason(subscribed):
    from billing.models import OutboxEvent
    from invoicing.services.renewal_decision import collection_method_for

    client = staff("fin", FINANCE_ADMIN)
    page = client.post(SUBSCRIPTIONS, {"action": "set_collection_method", "_selected_action": [subscribed.pk],
                                       "collection_method": "send_invoice"}).content.decode()
    assert "Send the invoice" in page and 'name="reason"' in page and collected_by(subscribed) is None
    act(client, SUBSCRIPTIONS, "set_collection_method", [subscribed.pk], collection_method="send_invoice",
        reason=REASON)
    assert collected_by(subscribed) == "send_invoice"
    with tenancy.operator_scope():
        assert collection_method_for(Subscription.objects.get(pk=subscribed.pk)) == "send_invoice"
        event = OutboxEvent.objects.filter(type="billing.subscription.updated").order_by("id").last()
    assert (event.payload["action"], event.payload["collection_method"]) == ("collection_method_changed",
                                                                             "send_invoice")
    assert REASON in reasons(subscribed, "billing.subscription")
    refused = act(client, SUBSCRIPTIONS, "set_collection_method", [subscribed.pk],
                  collection_method="send_invoice", reason=REASON).content.decode()
    assert "already" in refused
    act(client, SUBSCRIPTIONS, "set_collection_method", [subscribed.pk], collection_method="account", reason=REASON)
    assert collected_by(subscribed) is None  # back to the account's own


def test_a_viewer_cannot_set_the_collection_method(subscribed):
    act(staff("viewer", FINANCE_VIEWER), SUBSCRIPTIONS, "set_collection_method", [subscribed.pk],
        collection_method="send_invoice", reason=REASON)
    assert collected_by(subscribed) is None
