"""The Content-Security-Policy of HTML pages, and its per-page additions (docs/security.md).

The policy (CONTENT_SECURITY_POLICY in config/settings/security.py) allows scripts, styles,
images and fetches from our own origin only. Two kinds of page need more, and only they get it:

- the pages that run Stripe.js (adding a card, 3-D Secure): its script, its frames and
  its API (`payments/csp.py`, which reads payments' Stripe settings);
- the API docs (Swagger UI), whose vendored page has a `<style>` block of its own:
  inline styles, never inline scripts.
"""

from __future__ import annotations

from csp.decorators import csp_update
from csp.middleware import CSPMiddleware

# A browser renders these as documents that can run scripts; a JSON or JavaScript answer
# gets no policy (it would mean nothing there, and the usage API's fast lane, which answers
# before Django, must send the same headers as Django).
DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")

allows_inline_styles = csp_update({"style-src": ["'unsafe-inline'"]})


class DocumentCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, for documents only (DOCUMENT_TYPES)."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(DOCUMENT_TYPES):
            return response
        return super().process_response(request, response)
