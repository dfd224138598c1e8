"""What every payments view needs: the account a key may act for."""

from __future__ import annotations

from billing.errors import NotFound, ValidationFailed
from billing.models import Account


def account_for(request, account_id) -> Account:
    """The key's own account; operator keys name one (`account_id`)."""
    api_key = request.auth
    if not api_key.is_operator:
        if account_id not in (None, "", api_key.account_id, str(api_key.account_id)):
            raise NotFound("No such account.")
        return api_key.account
    if account_id in (None, ""):
        raise ValidationFailed({"account_id": "Operator keys must name the account."})
    try:
        account = Account.objects.filter(pk=int(account_id)).first()
    except (TypeError, ValueError):
        raise ValidationFailed({"account_id": "Must be an integer."}) from None
    if account is None:
        raise NotFound("No such account.")
    return account


def visible(request, queryset):
    """Account keys see their account's rows (RLS does too: this is the first wall)."""
    api_key = request.auth
    return queryset if api_key.is_operator else queryset.filter(account_id=api_key.account_id)
