"""Writes for an account's people: invitations (invite, revoke, accept), role changes and removals that never
leave an account without an owner, and the one-time portal sessions the operator's app opens for its users.

Invitation and portal tokens carry 256 bits of randomness and are stored only as their SHA-256 hash: the link
that holds the token is the only copy. So the invitation email is sent once the invitation is committed
(`transaction.on_commit`), not through the outbox, whose payload would keep the token in clear; an invitation
whose email was lost is sent again by inviting the address again (which revokes the pending one).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string

from billing import clock, conf, tenancy
from billing.audit import audit_record, snapshot
from billing.errors import BillingError, Conflict, ValidationFailed, value_checked
from billing.models import (
    Account,
    Invitation,
    Membership,
    MembershipRole,
    PortalFlow,
    PortalSession,
)
from billing.services.accounts import membership_add, membership_remove
from billing.transitions import row_lock

logger = logging.getLogger(__name__)

# Each role can do what the ones after it can, and more.
ROLE_RANK = {MembershipRole.VIEWER: 0, MembershipRole.BILLING_MANAGER: 1, MembershipRole.OWNER: 2}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def _higher_role(held: str | None, offered: str) -> str:
    """The role a person ends with when offered one: never lower than the one they hold."""
    if held is not None and ROLE_RANK[MembershipRole(held)] >= ROLE_RANK[MembershipRole(offered)]:
        return held
    return offered


def _checked_email(email: str, field: str = "email") -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed({field: ["Enter a valid email address."]}) from None
    return email


def _checked_role(role: str) -> str:
    if role not in MembershipRole.values:
        raise ValidationFailed({"role": [f"Must be one of {', '.join(MembershipRole.values)}."]})
    return role


class LinkUnusable(BillingError):
    """An invitation or portal link that was used, revoked or has expired."""

    status = 410
    code = "link_unusable"


# --- invitations ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # only in the email's link, never stored


@transaction.atomic
def invitation_create(*, account: Account, email: str, role: str, invited_by=None,
                      accept_url_of=None) -> IssuedInvitation:
    """Invite `email` with `role`; a pending invitation of the same address is revoked first. After commit,
    the link `accept_url_of(token)` is emailed to the address (without `accept_url_of`, nothing is sent)."""
    errors = {}
    email = value_checked(_checked_email, email, errors)
    role = value_checked(_checked_role, role, errors)
    if not errors and Membership.objects.filter(account=account, user__email__iexact=email).exists():
        errors["email"] = ["This person is already a member of the account."]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    pending = row_lock(Invitation, account=account, email__iexact=email, accepted_at__isnull=True,
                       revoked_at__isnull=True, required=False)  # at most one (a partial unique index)
    if pending is not None:
        _invitation_revoked(pending, now)
    token, hashed = _new_token()
    invitation = Invitation.objects.create(
        account=account, email=email, role=role, token_hash=hashed, invited_by=invited_by,
        expires_at=now + timedelta(days=conf.settings.CONSOLE_INVITATION_DAYS))
    audit_record(action="invitation.created", instance=invitation,
                 after=snapshot(invitation, ["email", "role", "expires_at"]))
    if accept_url_of is not None:
        context = {"account": account.name, "role": invitation.get_role_display(), "url": accept_url_of(token),
                   "inviter": (invited_by.get_full_name() or invited_by.email or invited_by.get_username())
                   if invited_by else conf.settings.OPERATOR_NAME,
                   "days": conf.settings.CONSOLE_INVITATION_DAYS, "operator": conf.settings.OPERATOR_NAME}
        subject = " ".join(render_to_string("console/email/invitation_subject.txt", context).split())
        body = render_to_string("console/email/invitation.txt", context)
        transaction.on_commit(lambda: _send_invitation(subject, body, email))
    return IssuedInvitation(invitation=invitation, token=token)


def _send_invitation(subject: str, body: str, email: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    except Exception:  # the invitation stands: the owner sees it pending and can invite the address again
        logger.exception("the invitation email to %s could not be sent", email)


def _invitation_revoked(invitation: Invitation, now) -> None:
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at"])
    audit_record(action="invitation.revoked", instance=invitation, before={"revoked_at": None},
                 after={"revoked_at": now})


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    invitation = row_lock(Invitation, invitation)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        _invitation_revoked(invitation, clock.now())
    return invitation


def invitation_problem(invitation: Invitation | None) -> str:
    """Why the invitation cannot be accepted ('' when it can), in words for the person holding the link."""
    if invitation is None:
        return "This invitation link is not valid."
    if invitation.accepted_at is not None:
        return "This invitation has already been accepted."
    if invitation.revoked_at is not None:
        return "This invitation was withdrawn. Ask the account's owner to invite you again."
    if invitation.expires_at <= clock.now():
        return "This invitation has expired. Ask the account's owner to invite you again."
    return ""


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """Make `user` a member with the invited role (a member keeps a higher role they hold). Once only."""
    with tenancy.operator_scope():  # the token is the credential: the person is not a member yet
        invitation = row_lock(Invitation, token_hash=token_hash(token or ""), required=False)
        problem = invitation_problem(invitation)
        if problem:
            raise LinkUnusable(problem)
    with tenancy.tenant_scope(invitation.account_id):
        held = Membership.objects.filter(account_id=invitation.account_id, user=user).first()
        membership = membership_add(account=invitation.account, user=user,
                                    role=_higher_role(held.role if held else None, invitation.role))
        before = snapshot(invitation, ["accepted_at"])
        invitation.accepted_at, invitation.accepted_by = clock.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(action="invitation.accepted", instance=invitation, before=before,
                     after={"accepted_at": invitation.accepted_at, "user_id": user.pk})
    return membership


@transaction.atomic
def invitation_accept_new_person(*, token: str, password: str) -> Membership:
    """Someone with no user yet accepts: their user (the invited address, this password) and membership."""
    invitation = invitation_by_token(token)
    problem = invitation_problem(invitation)
    if problem:
        raise LinkUnusable(problem)
    if get_user_model().objects.filter(email__iexact=invitation.email).exists():
        raise ValidationFailed({"email": ["This address has a user already: sign in to accept."]})
    user = get_user_model().objects.create_user(username=_free_username(invitation.email),
                                                email=invitation.email, password=password)
    return invitation_accept(token=token, user=user)


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link names, whatever its state (the accept page says what is wrong with it)."""
    with tenancy.operator_scope():
        return (Invitation.objects.select_related("account").filter(token_hash=token_hash(token or "")).first())


# --- members --------------------------------------------------------------------------------------------------

def _refuse_leaving_no_owner(membership: Membership) -> None:
    row_lock(Account, membership.account_id)  # two owners stepping down at once: one waits for the other
    others = Membership.objects.filter(account_id=membership.account_id, role=MembershipRole.OWNER).exclude(
        pk=membership.pk)
    if not others.exists():
        raise Conflict("An account keeps at least one owner: make someone else an owner first.",
                       fields={"role": ["This is the account's last owner."]})


@transaction.atomic
def member_role_change(*, membership: Membership, role: str) -> Membership:
    """Give a member another role; the last owner stays an owner."""
    role = _checked_role(role)
    membership = row_lock(Membership, membership)
    if membership.role == role:
        return membership
    if membership.role == MembershipRole.OWNER:
        _refuse_leaving_no_owner(membership)
    return membership_add(account=membership.account, user=membership.user, role=role)


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    """Take a member's access away; the last owner cannot be removed."""
    membership = row_lock(Membership, membership)
    if membership.role == MembershipRole.OWNER:
        _refuse_leaving_no_owner(membership)
    membership_remove(membership=membership)


# --- portal sessions -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedPortalSession:
    session: PortalSession
    token: str  # only in the URL handed to the operator's app


def _staff_holds(email: str) -> bool:
    return get_user_model().objects.filter(Q(is_staff=True) | Q(is_superuser=True), email__iexact=email).exists()


def return_url_problem(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "Must be an absolute http or https URL."
    return ""


@transaction.atomic
def portal_session_create(*, account: Account, email: str, role: str, return_url: str, flow: str = "",
                          invoice_id: int | None = None, created_by_key=None) -> IssuedPortalSession:
    """A one-time console link for the person `email` in `account`, valid CONSOLE_PORTAL_SESSION_MINUTES.

    Refused for an address of the operator's own staff: a link signed by an API key must never open a
    session that reaches the admin."""
    errors = {}
    email = value_checked(_checked_email, email, errors)
    if "email" not in errors and _staff_holds(email):
        errors["email"] = ["This address belongs to operator staff; portal links are for customers."]
    if role not in MembershipRole.values:
        errors["role"] = [f"Must be one of {', '.join(MembershipRole.values)}."]
    if return_url_problem(return_url):
        errors["return_url"] = [return_url_problem(return_url)]
    if flow and flow not in PortalFlow.values:
        errors["flow"] = [f"Must be one of {', '.join(PortalFlow.values)}."]
    if invoice_id is not None and flow != PortalFlow.PAY_INVOICE:
        errors["invoice_id"] = ["Only with the pay_invoice flow."]
    if errors:
        raise ValidationFailed(errors)
    token, hashed = _new_token()
    session = PortalSession.objects.create(
        account=account, email=email, role=role, return_url=return_url, flow=flow or "", invoice_id=invoice_id,
        token_hash=hashed, created_by_key=created_by_key,
        expires_at=clock.now() + timedelta(minutes=conf.settings.CONSOLE_PORTAL_SESSION_MINUTES))
    audit_record(action="portal_session.created", instance=session,
                 after=snapshot(session, ["email", "role", "return_url", "flow", "invoice_id", "expires_at"]))
    return IssuedPortalSession(session=session, token=token)


def _free_username(email: str) -> str:
    users, username, n = get_user_model().objects, email.lower()[:150], 1
    while users.filter(username=username).exists():
        n += 1
        username = f"{email.lower()[:140]}~{n}"
    return username


def _portal_user(email: str):
    """The person with this address (the oldest account of theirs when several share it), or a new one who
    signs in only through links until they set a password (password reset)."""
    user = get_user_model().objects.filter(email__iexact=email).order_by("id").first()
    if user is not None:
        return user
    return get_user_model().objects.create_user(username=_free_username(email), email=email, password=None)


@transaction.atomic
def portal_session_redeem(*, token: str) -> tuple[PortalSession, Membership]:
    """Use a portal link, once: the person (created when new) becomes a member with the link's role unless
    they hold a higher one (a link never lowers a role), and the caller signs them in."""
    with tenancy.operator_scope():  # the token is the credential: the person may not be a member yet
        session = row_lock(PortalSession, token_hash=token_hash(token or ""), required=False)
        if session is None or session.used_at is not None or session.expires_at <= clock.now():
            raise LinkUnusable("This link has expired or was already used.")
        if _staff_holds(session.email):
            raise LinkUnusable("This link has expired or was already used.")
        user = _portal_user(session.email)
        if not user.is_active:  # a deactivated person stays out, whatever the operator's app asks
            raise LinkUnusable("This link has expired or was already used.")
        session.used_at, session.used_by = clock.now(), user
        session.save(update_fields=["used_at", "used_by"])
        audit_record(action="portal_session.used", instance=session, after={"used_at": session.used_at,
                                                                             "user_id": user.pk})
    with tenancy.tenant_scope(session.account_id):
        held = Membership.objects.filter(account_id=session.account_id, user=user).first()
        role = _higher_role(held.role if held else None, session.role)
        membership = held if held is not None and held.role == role else membership_add(
            account=Account.objects.get(pk=session.account_id), user=user, role=role)
        membership.account = Account.objects.get(pk=session.account_id)
    return session, membership
