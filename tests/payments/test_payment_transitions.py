"""A payment's status moves only as its transition table allows (the gateway reports, refunds, disputes)."""

import pytest

from billing.transitions import TransitionRefused
from payments.models import PAYMENT_TRANSITIONS, Payment
from tests.helpers import moves_checked
from tests.payments.plain_rows import payment_row

pytestmark = pytest.mark.django_db

EXPECTED = {
    "pending": {"succeeded", "failed", "requires_action", "canceled"},
    "requires_action": {"succeeded", "failed", "canceled", "pending"},
    "failed": {"succeeded"},  # the gateway is the truth: the customer retried on the same intent
    "canceled": set(),
    "succeeded": {"partially_refunded", "refunded", "disputed"},
    "partially_refunded": {"partially_refunded", "refunded", "disputed"},  # another partial refund
    "disputed": {"disputed", "succeeded", "partially_refunded", "refunded"},  # a refund during the dispute
    "refunded": {"disputed"},
}


def test_every_move_the_table_allows_works_and_every_other_is_refused(make_account, operator):
    assert moves_checked(PAYMENT_TRANSITIONS, payment_row(make_account()), EXPECTED) == 64


def test_only_a_payment_in_flight_can_be_canceled(make_account, operator):
    from payments.services.charging import payment_cancel

    payment = payment_row(make_account())
    Payment.objects.filter(pk=payment.pk).update(status="succeeded")
    payment.refresh_from_db()
    with pytest.raises(TransitionRefused) as error:
        payment_cancel(payment=payment)
    assert (error.value.from_state, error.value.to_state) == ("succeeded", "canceled")
    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_a_new_payment_starts_pending_only():
    assert PAYMENT_TRANSITIONS.start("pending") == "pending"
    with pytest.raises(TransitionRefused):
        PAYMENT_TRANSITIONS.start("succeeded")
