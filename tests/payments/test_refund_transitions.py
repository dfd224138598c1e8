"""A refund's status moves only as its transition table allows: pending, then succeeded or failed, once."""

import pytest
from django.utils import timezone

from billing.transitions import TransitionRefused
from payments.models import REFUND_TRANSITIONS, Refund
from tests.helpers import moves_checked
from tests.payments.plain_rows import payment_row

pytestmark = pytest.mark.django_db

EXPECTED = {"pending": {"succeeded", "failed"}, "succeeded": set(), "failed": set()}


def test_every_move_the_table_allows_works_and_every_other_is_refused(make_account, operator):
    payment = payment_row(make_account())
    refund = Refund.objects.create(account_id=payment.account_id, payment=payment, amount=100, currency="USD",
                                   reference=f"payment:{payment.pk}:refund:1", created_at=timezone.now())
    assert moves_checked(REFUND_TRANSITIONS, refund, EXPECTED) == 9


def test_a_refund_starts_pending_or_already_succeeded_never_failed():
    """Succeeded from the start: one made at the gateway, or what a lost dispute took back."""
    assert [REFUND_TRANSITIONS.start(state) for state in ("pending", "succeeded")] == ["pending", "succeeded"]
    with pytest.raises(TransitionRefused) as error:
        REFUND_TRANSITIONS.start("failed")
    assert "failed" in error.value.message
