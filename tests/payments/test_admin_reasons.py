"""The payments admin's money actions (refund, retry the payment now, pause dunning): confirmed with the
amounts, done through the payments services with the typed reason on their audit entries, refused by state,
and offered to finance admins only."""

import pytest

from billing import tenancy
from billing.models import AuditEntry
from billing.roles import FINANCE_ADMIN, FINANCE_VIEWER
from payments.models import AccountDunning, DunningCase, Payment
from tests.helpers import staff

pytestmark = pytest.mark.django_db

REASON = "Customer called: card replaced"


def act(client, url, action, ids, **fields):
    return client.post(url, {"action": action, "_selected_action": ids, "_confirm": "1", "reason": REASON,
                             **fields}, follow=True)


def reasons_of(object_type: str) -> set[str]:
    with tenancy.operator_scope():
        return set(AuditEntry.objects.filter(object_type=object_type).values_list("reason", flat=True))


@pytest.fixture
def failing_case(make_account, customer_card, open_invoice):
    from payments.services.charging import payment_collect

    account = make_account("Acme")
    customer_card(account, "4000000000000341")  # attaches, then declines
    invoice = open_invoice(account, "42.00")
    with tenancy.operator_scope():
        payment_collect(invoice_id=invoice.pk)
        return DunningCase.objects.select_related("account", "invoice").get(invoice=invoice)


def test_a_refund_carries_the_reason_on_its_audit_entry(make_account, customer_card, open_invoice):
    from payments.services.charging import payment_collect

    account = make_account("Acme")
    customer_card(account)
    invoice = open_invoice(account, "20.00")
    with tenancy.operator_scope():
        payment = payment_collect(invoice_id=invoice.pk)
    act(staff("fin", FINANCE_ADMIN), "/admin/payments/payment/", "refund", [payment.pk], amount="5.00")
    with tenancy.operator_scope():
        assert Payment.objects.get(pk=payment.pk).amount_refunded == 500
    assert REASON in reasons_of("payments.refund") | reasons_of("payments.payment")
    refused = act(staff("fin2", FINANCE_ADMIN), "/admin/payments/payment/", "refund", [payment.pk],
                  amount="50.00").content.decode()
    assert "At most $15.00 can still be refunded" in refused


def test_pausing_dunning_shows_what_is_due_and_keeps_the_reason(failing_case):
    client = staff("fin", FINANCE_ADMIN)
    page = client.post("/admin/payments/dunningcase/", {"action": "pause", "_selected_action": [failing_case.pk]})
    assert "$42.00 due" in page.content.decode() and "active → paused" in page.content.decode()
    act(client, "/admin/payments/dunningcase/", "pause", [failing_case.pk])
    with tenancy.operator_scope():
        setting = AccountDunning.objects.get(account=failing_case.account)
    assert setting.paused and setting.note == REASON
    assert REASON in reasons_of("payments.accountdunning")
    again = act(client, "/admin/payments/dunningcase/", "pause", [failing_case.pk]).content.decode()
    assert "Dunning is already paused for Acme." in again


def test_retry_now_charges_again_and_is_refused_once_the_case_is_closed(failing_case):
    client = staff("fin", FINANCE_ADMIN)
    page = client.post("/admin/payments/dunningcase/", {"action": "retry_now", "_selected_action": [failing_case.pk]})
    assert f"Retry the payment of {failing_case.invoice} (Acme) now: charge $42.00" in page.content.decode()
    with tenancy.operator_scope():
        attempts = Payment.objects.filter(invoice=failing_case.invoice).count()
    done = act(client, "/admin/payments/dunningcase/", "retry_now", [failing_case.pk]).content.decode()
    assert "Retried 1 case(s) of Acme" in done
    with tenancy.operator_scope():
        assert Payment.objects.filter(invoice=failing_case.invoice).count() == attempts + 1
        DunningCase.objects.filter(pk=failing_case.pk).update(status="closed")
    refused = act(client, "/admin/payments/dunningcase/", "retry_now", [failing_case.pk]).content.decode()
    assert "is closed" in refused.lower() and "nothing to retry" in refused


def test_a_viewer_is_offered_no_payments_action(failing_case):
    client = staff("viewer", FINANCE_VIEWER)
    for url in ("/admin/payments/dunningcase/", "/admin/payments/payment/"):
        form = client.get(url).context["action_form"]  # None: no action at all
        offered = [name for name, _ in form.fields["action"].choices if name] if form else []
        assert offered in ([], ["export_payments_csv"])
    act(client, "/admin/payments/dunningcase/", "pause", [failing_case.pk])
    with tenancy.operator_scope():
        assert not AccountDunning.objects.filter(account=failing_case.account, paused=True).exists()
