"""The metering views' base class, and which account a request is about."""

from __future__ import annotations

import time

from billing import conf as billing_conf
from billing import tenancy
from billing.api.views import ApiView
from billing.errors import NotFound, ValidationFailed
from billing.models import Account
from metering import conf


class MeteringApiView(ApiView):
    """Answers 404 when usage metering is switched off (USAGE_METERING_ENABLED=false)."""

    def initial(self, request, *args, **kwargs):
        if not billing_conf.feature_enabled("usage_metering"):
            raise NotFound("Usage metering is disabled on this server.", code="feature_disabled")
        super().initial(request, *args, **kwargs)


def account_for(request, data, *, cached: bool = False) -> int:
    """An account key may only name its own account; an operator key must name one.

    `cached=True` (read-only answers in front of every request, such as the quota
    check): a name found is remembered per process for METERING_ENTITLEMENT_CACHE_SECONDS,
    as the limits are, so the check does not query PostgreSQL for it each time. A
    name not found is never remembered; writes always look the account up.
    """
    api_key = request.auth
    account_id = data.get("account_id")
    external_id = data.get("external_customer_id")
    if account_id in (None, "") and not external_id:
        if api_key.account_id is None:
            raise ValidationFailed({"account_id": "Required with an operator key (or external_customer_id)."})
        return api_key.account_id
    try:
        lookup = {"pk": int(account_id)} if account_id not in (None, "") else {"external_id": str(external_id)}
    except (TypeError, ValueError):
        raise ValidationFailed({"account_id": "Must be an integer."}) from None
    if api_key.account_id is not None and lookup.get("pk") == api_key.account_id:
        return api_key.account_id  # its own account: it exists, the key authenticated
    found = _resolved_account(lookup) if cached else _account_named(lookup)
    if found is None or (api_key.account_id is not None and found != api_key.account_id):
        raise NotFound("Unknown account.", fields={"account_id" if "pk" in lookup else "external_customer_id":
                                                   ["Unknown account."]})
    return found


def _account_named(lookup: dict) -> int | None:
    with tenancy.operator_scope():
        return Account.objects.filter(**lookup).values_list("pk", flat=True).first()


_accounts: dict[tuple, tuple[float, int]] = {}


def _resolved_account(lookup: dict) -> int | None:
    (field, value), = lookup.items()
    entry = _accounts.get((field, value))
    if entry is not None and time.monotonic() < entry[0]:
        return entry[1]
    found = _account_named(lookup)
    if found is not None:
        _accounts[(field, value)] = (time.monotonic() + conf.settings.METERING_ENTITLEMENT_CACHE_SECONDS, found)
    return found


def account_for_cached(api_key, data: dict) -> int | None:
    """What `account_for(..., cached=True)` answers, when it can be told without a query; else None."""
    account_id, external_id = data.get("account_id"), data.get("external_customer_id")
    if account_id is None and not external_id:
        return api_key.account_id
    if api_key.account_id is not None and account_id == api_key.account_id:
        return account_id
    field, value = ("pk", account_id) if account_id is not None else ("external_id", str(external_id))
    entry = _accounts.get((field, value))
    if entry is None or time.monotonic() >= entry[0]:
        return None
    if api_key.account_id is not None and entry[1] != api_key.account_id:
        return None  # the full path refuses it
    return entry[1]


def forget_accounts() -> None:
    _accounts.clear()


def decimal_text(value) -> str | None:
    return None if value is None else format(value, "f")
