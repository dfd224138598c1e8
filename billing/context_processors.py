from billing import conf

# The navigation entry each console page belongs to, by URL name (so the page is marked aria-current).
SECTIONS = {
    "console:home": "overview",
    "metering-console:usage": "usage",
    "invoicing-console:invoices": "invoices",
    "invoicing-console:invoice": "invoices",
    "invoicing-console:upcoming": "invoices",
    "console:payment-methods": "payment-methods",
    "console:payment-method-add": "payment-methods",
    "console:api-keys": "api-keys",
    "console:plan": "plan",
    "console:plan-change": "plan",
    "console:billing-details": "billing-details",
    "console:members": "members",
}


def console(request):
    """The console's active account, the accounts a user may switch to, and the operator's branding."""
    from billing.branding import logo_file

    membership = getattr(request, "active_membership", None)
    match = getattr(request, "resolver_match", None)
    return {
        "active_membership": membership,
        "active_account": membership.account if membership else None,
        "operator_name": conf.settings.OPERATOR_NAME,
        "operator_has_logo": logo_file() is not None,
        "console_section": SECTIONS.get(match.view_name) if match else None,
        "user_memberships": _memberships(request) if membership else [],
        "portal_return_url": _portal_return(request, membership),
    }


def _portal_return(request, membership) -> str:
    """The operator's page a portal link came from, while the session works in the account it opened."""
    from billing.member_views import PORTAL_RETURN_SESSION_KEY

    session = getattr(request, "session", None)
    came_from = session.get(PORTAL_RETURN_SESSION_KEY) if session is not None and membership else None
    return came_from["url"] if came_from and came_from.get("account_id") == membership.account_id else ""


def _memberships(request):
    from billing.selectors import memberships_of

    return memberships_of(request.user)
