"""The authenticated-key cache behind the fast lanes (billing/api/keycache.py)."""

import pytest

from billing import tenancy
from billing.api import keycache
from billing.models import ApiKey
from billing.redis_client import client

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(api_key_for, make_account):
    raw = api_key_for(make_account(), ["usage:read", "usage:write"])
    with tenancy.operator_scope():
        return ApiKey.objects.get(prefix=raw.split("_")[1])


def cached(api_key):
    return keycache.decode(client().get(keycache.entry_key(api_key.key_hash)))


def test_a_remembered_key_holds_its_id_account_and_scopes_under_its_hash_only(key):
    keycache.api_key_remember(api_key=key)
    entry = cached(key)
    assert (entry.id, entry.account_id, entry.scopes) == (key.pk, key.account_id, {"usage:read", "usage:write"})
    assert entry.has_scope("usage:read") and not entry.has_scope("admin")


def test_a_change_leaves_a_tombstone_that_a_late_remember_cannot_overwrite(key, django_capture_on_commit_callbacks):
    keycache.api_key_remember(api_key=key)
    with django_capture_on_commit_callbacks(execute=True), tenancy.operator_scope():
        key.scopes = ["usage:write"]
        key.save()
    assert cached(key) is None
    stale = ApiKey(pk=key.pk, account_id=key.account_id, key_hash=key.key_hash, scopes=["usage:read"])
    keycache.api_key_remember(api_key=stale)  # a request that read the key before the change
    assert cached(key) is None


def test_nothing_is_forgotten_when_the_change_rolls_back(key, django_capture_on_commit_callbacks):
    keycache.api_key_remember(api_key=key)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, tenancy.operator_scope():
        key.save()
    assert len(callbacks) == 1 and cached(key) is not None  # dropped only by the commit's callback


def test_revoked_keys_are_never_remembered(key):
    from django.utils import timezone

    key.revoked_at = timezone.now()
    keycache.api_key_remember(api_key=key)
    assert cached(key) is None


def test_a_remembered_key_carries_its_label_for_the_audit_log(key):
    keycache.api_key_remember(api_key=key)
    assert cached(key).label == str(key) == f"test key ({key.prefix}…)"


def test_an_entry_of_the_format_before_labels_reads_as_not_cached(key):
    client().set(keycache.entry_key(key.key_hash), f"{key.pk}|{key.account_id}|usage:read", ex=30)
    assert cached(key) is None
