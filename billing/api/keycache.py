"""A short-lived Redis cache of authenticated API keys, for answers given before Django (the fast lanes).

The full request path authenticates a key through PostgreSQL (`billing_api_key_by_prefix`)
and may then `api_key_remember` it: an entry under the SHA-256 of the raw key (what
`ApiKey.key_hash` stores, so the secret itself is never written anywhere) holding the
key's id, account, scopes and label (what the audit log names it by), for API_KEY_CACHE_SECONDS.
The lanes read it through `billing.api.pipeline.KnownKeys`.

Any change to a key or to its account (revocation, scopes, an account deactivated)
replaces the entry with a tombstone, on commit and for the same TTL, and `api_key_remember`
never overwrites a tombstone (SET NX). So a request that read the key before the change
cannot re-cache it afterwards: for one TTL, that key's requests take the full path,
which reads PostgreSQL. Only if Redis cannot be reached at the moment of the change does
an entry outlive it, by at most API_KEY_CACHE_SECONDS.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import redis
from django.db import transaction

from billing import conf
from billing.redis_client import client as redis_client
from billing.redis_client import key_prefix

logger = logging.getLogger(__name__)
TOMBSTONE = b"-"


@dataclass(frozen=True)
class CachedKey:
    id: int
    account_id: int | None  # None: an operator key
    scopes: frozenset[str]
    label: str  # str(ApiKey): the audit actor's label, the same as on the full path

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def entry_key(key_hash: str) -> str:
    return f"{key_prefix()}:apikey:{key_hash}"


def _encode(api_key) -> str:
    return f"{api_key.pk}|{api_key.account_id or ''}|{','.join(api_key.scopes)}|{api_key}"


def decode(value: bytes | None) -> CachedKey | None:
    """An entry's key, or None for a missing entry, a tombstone or an entry of another format (one
    written before the label was added: the full path answers until it expires)."""
    if not value or value == TOMBSTONE:
        return None
    parts = value.decode().split("|", 3)
    if len(parts) != 4:
        return None
    key_id, account_id, scopes, label = parts
    return CachedKey(id=int(key_id), account_id=int(account_id) if account_id else None,
                     scopes=frozenset(filter(None, scopes.split(","))), label=label)


def api_key_remember(*, api_key) -> None:
    """Cache a key the full path has just authenticated (never over a tombstone; Redis down: skipped)."""
    ttl = conf.settings.API_KEY_CACHE_SECONDS
    if ttl <= 0 or not api_key.is_active:
        return
    with contextlib.suppress(redis.RedisError):  # then the next request takes the full path again
        redis_client().set(entry_key(api_key.key_hash), _encode(api_key), nx=True, ex=ttl)


def api_keys_forget(*, key_hashes: list[str]) -> None:
    """Tombstone these keys' entries once the current transaction commits (see the module docstring)."""
    hashes = [h for h in key_hashes if h]
    if not hashes:
        return

    def tombstone():
        ttl = max(1, conf.settings.API_KEY_CACHE_SECONDS)
        try:
            pipe = redis_client().pipeline(transaction=False)
            for key_hash in hashes:
                pipe.set(entry_key(key_hash), TOMBSTONE, ex=ttl)
            pipe.execute()
        except redis.RedisError:
            logger.warning("api keys: could not drop %d cached key(s); they expire within %s s",
                           len(hashes), conf.settings.API_KEY_CACHE_SECONDS)

    transaction.on_commit(tombstone)


def _key_changed(sender, instance, created=False, **kwargs) -> None:
    if created:
        return  # nothing cached yet, and a tombstone would keep it off the fast lane for a TTL
    api_keys_forget(key_hashes=[instance.key_hash])


def _account_changed(sender, instance, created=False, **kwargs) -> None:
    if created:
        return
    from billing.models import ApiKey

    api_keys_forget(key_hashes=list(ApiKey.objects.filter(account_id=instance.pk).values_list("key_hash", flat=True)))


def connect_signals() -> None:
    """Any save of a key or of an account (the admin's too) drops the cached keys it concerns."""
    from django.db.models.signals import post_delete, post_save

    from billing.models import Account, ApiKey

    post_save.connect(_key_changed, sender=ApiKey, dispatch_uid="billing_keycache_key_saved")
    post_delete.connect(_key_changed, sender=ApiKey, dispatch_uid="billing_keycache_key_deleted")
    post_save.connect(_account_changed, sender=Account, dispatch_uid="billing_keycache_account_saved")
