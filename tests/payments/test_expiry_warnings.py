"""Cards expiring within 30 days get one email per expiry date; the job is safe to rerun."""

from datetime import date

import pytest
from django.core import mail

from billing import tenancy
from billing.outbox import outbox_deliver_batch
from payments.models import PaymentMethod
from payments.services.methods import payment_method_expiry_warn_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_email(make_account, django_user_model):
    from billing.services import membership_add

    def make(account):
        user = django_user_model.objects.create_user(username=f"owner{account.pk}", password="x",
                                                     email=f"owner{account.pk}@example.com")
        with tenancy.operator_scope():
            membership_add(account=account, user=user, role="owner")
        return user.email

    return make


def card(account, gateway_id, month, year):
    return PaymentMethod.objects.create(account=account, gateway="stripe", gateway_id=gateway_id, type="card",
                                        brand="visa", last4="4242", exp_month=month, exp_year=year)


def test_a_card_expiring_this_month_is_warned_once(make_account, member_email, operator):
    account = make_account("Acme")
    email = member_email(account)
    card(account, "pm_soon", 6, 2027)
    card(account, "pm_later", 9, 2027)
    assert payment_method_expiry_warn_due(today=date(2027, 6, 5)) == 1
    assert payment_method_expiry_warn_due(today=date(2027, 6, 6)) == 0
    outbox_deliver_batch()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [email]
    assert "ending 4242" in mail.outbox[0].subject
    assert "06/2027" in mail.outbox[0].body


def test_expired_cards_and_removed_cards_get_no_warning(make_account, member_email, operator):
    from django.utils import timezone

    account = make_account("Acme")
    member_email(account)
    card(account, "pm_expired", 1, 2027)
    removed = card(account, "pm_removed", 6, 2027)
    removed.removed_at = timezone.now()
    removed.save()
    assert payment_method_expiry_warn_due(today=date(2027, 6, 5)) == 0


def test_a_new_expiry_date_is_warned_again(make_account, member_email, operator):
    from payments.gateways import MethodDetails
    from payments.services.methods import payment_method_record

    account = make_account("Acme")
    member_email(account)
    card(account, "pm_renewed", 6, 2027)
    assert payment_method_expiry_warn_due(today=date(2027, 6, 5)) == 1
    payment_method_record(account_id=account.pk, gateway_name="stripe", details=MethodDetails(
        id="pm_renewed", type="card", brand="visa", last4="4242", exp_month=6, exp_year=2030))
    assert PaymentMethod.objects.get(gateway_id="pm_renewed").expiry_warned_at is None
    assert payment_method_expiry_warn_due(today=date(2030, 6, 1)) == 1
