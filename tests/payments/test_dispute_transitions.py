"""A dispute's outcome moves only as its transition table allows: open, then won or lost, and never reopens."""

import pytest
from django.utils import timezone

from payments.models import DISPUTE_TRANSITIONS, Dispute
from tests.helpers import moves_checked
from tests.payments.plain_rows import payment_row

pytestmark = pytest.mark.django_db

EXPECTED = {"open": {"won", "lost"}, "won": set(), "lost": set()}


def test_every_move_the_table_allows_works_and_every_other_is_refused(make_account, operator):
    payment = payment_row(make_account())
    dispute = Dispute.objects.create(account_id=payment.account_id, payment=payment, gateway_dispute_id="dp_table",
                                     amount=payment.amount, currency="USD", gateway_status="needs_response",
                                     created_at=timezone.now())
    assert DISPUTE_TRANSITIONS.field == "outcome"
    assert moves_checked(DISPUTE_TRANSITIONS, dispute, EXPECTED) == 9
