"""Who receives an account's billing emails, and whether it wants a given one: the one lookup every
app that emails a customer uses (invoices and payments in invoicing, usage alerts in metering).

Billing holds the profile's email and the owners and billing managers. The account's email
preferences (more contacts besides the profile's email, email types it opted out of) are kept
with its invoicing settings; invoicing registers their reader here when it starts
(`email_preferences_register`), so metering, below invoicing, asks billing and gets the same
answer as an invoice email without importing invoicing. Without a reader there are no
preferences: the profile's email, else the owners and billing managers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from billing.models import BillingProfile, Membership, MembershipRole


@dataclass(frozen=True)
class EmailPreferences:
    extra_recipients: tuple[str, ...] = ()
    opted_out: frozenset[str] = frozenset()


_NONE = EmailPreferences()
_readers: list[Callable[[int], EmailPreferences]] = []


def email_preferences_register(reader: Callable[[int], EmailPreferences]) -> None:
    """Set the reader of an account's email preferences (account id -> EmailPreferences); the last one wins."""
    _readers[:] = [reader]


def email_preferences(account_id: int) -> EmailPreferences:
    return _readers[0](account_id) if _readers else _NONE


def email_opted_out(account_id: int, email_type: str) -> bool:
    """Whether the account asked not to receive emails of `email_type`."""
    return email_type in email_preferences(account_id).opted_out


def billing_contacts(account_id: int) -> list[str]:
    """Where billing emails go: the profile's email and the extra contacts; else the owners and billing
    managers (each address once, in that order)."""
    profile_email = BillingProfile.objects.filter(account_id=account_id).values_list("email", flat=True).first()
    recipients = [profile_email] if profile_email else []
    recipients += [r for r in email_preferences(account_id).extra_recipients if r]
    if not recipients:
        recipients = list(
            Membership.objects.filter(account_id=account_id,
                                      role__in=[MembershipRole.OWNER, MembershipRole.BILLING_MANAGER])
            .exclude(user__email="").values_list("user__email", flat=True)
        )
    return list(dict.fromkeys(recipients))
