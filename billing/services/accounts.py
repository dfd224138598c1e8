"""Writes for accounts, memberships and API keys: one transaction each, audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from billing.audit import audit_record, snapshot
from billing.errors import BillingError, ValidationFailed
from billing.models import Account, ApiKey, ApiScope, Membership, MembershipRole
from billing.outbox import event_record
from billing.transitions import row_lock

KEY_PREFIX_LENGTH = 12


@transaction.atomic
def account_create(*, name: str, external_id: str | None = None) -> Account:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "This field is required."})
    if external_id and Account.objects.filter(external_id=external_id).exists():
        raise ValidationFailed({"external_id": "An account with this external id already exists."})
    account = Account.objects.create(name=name, external_id=external_id or None)
    audit_record(action="account.created", instance=account, account_id=account.pk, after=snapshot(account))
    event_record(type="billing.account.created", account_id=account.pk,
                 payload={"account_id": account.pk, "name": account.name, "external_id": account.external_id})
    return account


@transaction.atomic
def membership_add(*, account: Account, user, role: str = MembershipRole.VIEWER) -> Membership:
    if role not in MembershipRole.values:
        raise ValidationFailed({"role": f"Must be one of {', '.join(MembershipRole.values)}."})
    membership, created = Membership.objects.get_or_create(
        account=account, user=user, defaults={"role": role}
    )
    before = None if created else snapshot(membership)
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    audit_record(action="membership.added" if created else "membership.updated", instance=membership,
                 before=before, after=snapshot(membership))
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Take a user's access to an account away, with an audit entry."""
    before = snapshot(membership)
    Membership.objects.filter(pk=membership.pk).delete()
    audit_record(action="membership.removed", instance=membership, object_id=before["id"], before=before)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # the full key: shown once, never stored


def _hash(raw_key: str) -> str:
    # API keys carry 256 bits of randomness, so a plain SHA-256 (fast, so it can
    # sit on the ingestion hot path) is as strong as a slow password hash here.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def split_key(raw_key: str) -> tuple[str, str] | None:
    """`bk_<prefix>_<secret>` -> (prefix, raw_key), or None when malformed."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != "bk" or len(parts[1]) != KEY_PREFIX_LENGTH:
        return None
    return parts[1], raw_key


def key_matches(api_key: ApiKey, raw_key: str) -> bool:
    return secrets.compare_digest(api_key.key_hash, _hash(raw_key))


class ScopeNotGrantable(BillingError):
    """Whoever mints (or revokes) the key may not grant these scopes."""

    status = 403
    code = "permission_denied"


ADMIN_KEYS_PERMISSION = "billing.mint_admin_keys"


def _scopes_held(api_key: ApiKey) -> set[str]:
    return set(ApiScope.values) if ApiScope.ADMIN in api_key.scopes else set(api_key.scopes)


def api_key_grant_check(*, scopes: list[str], account: Account | None = None, created_by=None,
                        granted_by: ApiKey | None = None) -> None:
    """Refuse a key whoever asks may not mint; return quietly otherwise.

    `created_by` is the person minting (admin, console), `granted_by` the API key minting
    over the API; with neither, the caller is trusted code run by whoever holds the
    server (`manage.py create_api_key`, the tests). Raises ValidationFailed (bad input)
    or ScopeNotGrantable (403: allowed input, not for this minter), each naming `scopes`.
    """
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if not scopes:
        raise ValidationFailed({"scopes": "Give at least one scope."})
    if unknown:
        raise ValidationFailed({"scopes": f"Unknown scope(s): {', '.join(unknown)}."})
    if account is not None and ApiScope.ADMIN in scopes:
        raise ValidationFailed({"scopes": "The admin scope is for operator keys (keys without an account)."})
    if granted_by is not None:
        if not granted_by.is_operator:
            raise ScopeNotGrantable("Only operator API keys (keys without an account) may mint keys.",
                                    fields={"scopes": ["Only operator keys mint keys."]})
        # A key passes on only what it holds, so a leaked key can never mint a stronger one.
        lacking = sorted(set(scopes) - _scopes_held(granted_by))
        if lacking:
            raise ScopeNotGrantable("This API key may not grant scopes it does not hold.",
                                    fields={"scopes": [f"Not held by this key: {', '.join(lacking)}."]})
    if created_by is not None:
        if account is None and not created_by.is_staff:
            raise ScopeNotGrantable("Only operator staff mint operator keys.",
                                    fields={"account": ["Choose the account the key is for."]})
        if ApiScope.ADMIN in scopes and not created_by.has_perm(ADMIN_KEYS_PERMISSION):
            raise ScopeNotGrantable("Only superusers, or holders of the 'mint admin keys' permission, "
                                    "mint keys with the admin scope.",
                                    fields={"scopes": ["You may not grant the admin scope."]})


def api_key_grantable_scopes(*, user) -> list[str]:
    """The scopes a person may put on an operator key (the admin's add form offers these)."""
    return [s for s in ApiScope.values if s != ApiScope.ADMIN or user.has_perm(ADMIN_KEYS_PERMISSION)]


@transaction.atomic
def api_key_create(*, name: str, scopes: list[str], account: Account | None = None, created_by=None,
                   granted_by: ApiKey | None = None) -> IssuedKey:
    """Mint a key; `created_by` / `granted_by` name who mints it (see `api_key_grant_check`)."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = ["This field is required."]
    elif len(name) > ApiKey._meta.get_field("name").max_length:
        errors["name"] = ["At most 100 characters."]
    try:
        api_key_grant_check(scopes=scopes, account=account, created_by=created_by, granted_by=granted_by)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
    raw_key = f"bk_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        account=account, name=name, prefix=prefix, key_hash=_hash(raw_key),
        scopes=sorted(set(scopes)), created_by=created_by,
    )
    audit_record(action="api_key.created", instance=api_key,
                 after={"name": api_key.name, "prefix": prefix, "scopes": api_key.scopes,
                        "account_id": api_key.account_id,
                        "granted_by_key": granted_by.pk if granted_by is not None else None})
    return IssuedKey(api_key=api_key, secret=raw_key)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, revoked_by: ApiKey | None = None) -> ApiKey:
    """Revoke a key. Over the API (`revoked_by`), only a key holding every scope of the other may revoke
    it, so a lesser key cannot switch off a stronger one."""
    api_key = row_lock(ApiKey, api_key)
    if revoked_by is not None and revoked_by.pk != api_key.pk:
        lacking = sorted(set(api_key.scopes) - _scopes_held(revoked_by))
        if lacking:
            raise ScopeNotGrantable("This API key may not revoke a key with scopes it does not hold.",
                                    fields={"key_id": [f"That key holds {', '.join(lacking)}."]})
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit_record(action="api_key.revoked", instance=api_key,
                 before={"revoked_at": None}, after={"revoked_at": api_key.revoked_at})
    return api_key


def api_key_touch(*, api_key: ApiKey, every_seconds: int = 60) -> None:
    """Record use at most once a minute, so authentication stays a read on the hot path."""
    now = timezone.now()
    if api_key.last_used_at and (now - api_key.last_used_at).total_seconds() < every_seconds:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
