from billing import conf


def console(request):
    """The console's active account and the accounts a user may switch to."""
    membership = getattr(request, "active_membership", None)
    return {
        "active_membership": membership,
        "active_account": membership.account if membership else None,
        "operator_name": conf.settings.OPERATOR_NAME,
        "user_memberships": _memberships(request) if membership else [],
    }


def _memberships(request):
    from billing.selectors import memberships_of

    return memberships_of(request.user)
