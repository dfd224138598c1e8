"""The Content-Security-Policy of HTML pages, and its per-page additions (docs/security.md).

The policy (CONTENT_SECURITY_POLICY in config/settings/security.py) allows scripts, styles,
images and fetches from our own origin only. Two kinds of page need more, and only they get it:

- the pages that run Stripe.js (adding a card, 3-D Secure): its script, its frames and
  its API;
- the API docs (Swagger UI), whose vendored page has a `<style>` block of its own:
  inline styles, never inline scripts.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from csp.decorators import csp_update
from csp.middleware import CSPMiddleware
from django.conf import settings

# A browser renders these as documents that can run scripts; a JSON or JavaScript answer
# gets no policy (it would mean nothing there, and the usage API's fast lane, which answers
# before Django, must send the same headers as Django).
DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")

STRIPE_JS = "https://js.stripe.com"
STRIPE_HOOKS = "https://hooks.stripe.com"  # 3-D Secure pages framed by Stripe.js
STRIPE_API = "https://api.stripe.com"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def stripe_js_sources() -> dict[str, list[str]]:
    """Stripe's origins, plus those of STRIPE_JS_URL and STRIPE_API_BASE when they point elsewhere
    (a stand-in such as localstripe, or an egress proxy)."""
    scripts = {STRIPE_JS, _origin(settings.STRIPE_JS_URL)}
    api = {STRIPE_API, _origin(settings.STRIPE_API_BASE)}
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


allows_inline_styles = csp_update({"style-src": ["'unsafe-inline'"]})


class DocumentCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, for documents only (DOCUMENT_TYPES)."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(DOCUMENT_TYPES):
            return response
        return super().process_response(request, response)
