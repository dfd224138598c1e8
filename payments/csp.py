"""What the pages that run Stripe.js (adding a card, 3-D Secure) add to the Content-Security-Policy
(billing/csp.py holds the policy of every other page; docs/security.md)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from csp.decorators import csp_update

from payments import conf

STRIPE_JS = "https://js.stripe.com"
STRIPE_HOOKS = "https://hooks.stripe.com"  # 3-D Secure pages framed by Stripe.js
STRIPE_API = "https://api.stripe.com"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def stripe_js_sources() -> dict[str, list[str]]:
    """Stripe's origins, plus those of STRIPE_JS_URL and STRIPE_API_BASE when they point elsewhere
    (a stand-in such as localstripe, or an egress proxy)."""
    scripts = {STRIPE_JS, _origin(conf.settings.STRIPE_JS_URL)}
    api = {STRIPE_API, _origin(conf.settings.STRIPE_API_BASE)}
    return {
        "script-src": sorted(filter(None, scripts)),
        "frame-src": sorted(filter(None, scripts | {STRIPE_HOOKS})),
        "connect-src": sorted(filter(None, api)),
    }


def allows_stripe_js(view):
    """For the console pages that load Stripe.js (read at each request, so a changed setting counts)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return csp_update(stripe_js_sources())(view)(request, *args, **kwargs)

    return wrapped
