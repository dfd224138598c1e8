"""Cookies, CSRF, HTTPS, the Content-Security-Policy, the row-level-security scope secret and password rules."""

import hashlib
import hmac

from .core import SECRET_KEY
from .env import env

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)  # on in production.py
# Load balancers probe over plain HTTP, and a scraper on the same host reads /metrics there: a redirect
# to HTTPS would fail them. (Paths without their leading slash, as SecurityMiddleware matches them.)
SECURE_REDIRECT_EXEMPT = [r"^health/live$", r"^health/ready$", r"^health/rollups$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)  # a year in production.py
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a proxy that terminates TLS and sets X-Forwarded-Proto (and strips it from clients): without
# this, Django sees plain HTTP, and DJANGO_SECURE_SSL_REDIRECT would redirect forever.
if env.bool("DJANGO_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Every HTML page (django-csp, billing/csp.py): our own origin only, no inline script anywhere. The
# pages that run Stripe.js, and the API docs' inline styles, add theirs with billing/csp.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if env.str("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [env.str("CSP_REPORT_URI")]

# Proves to PostgreSQL that a row-level-security scope comes from our code, not from SQL the
# application role was made to run (billing/rls.py, docs/security.md). `migrate --database owner`
# installs its hash, so web, workers and migrate must share it. Default: derived from SECRET_KEY
# (a value of its own, never the key itself), so development, tests and compose need nothing more.
RLS_SCOPE_SECRET = env.str("RLS_SCOPE_SECRET", default="") or hmac.new(
    SECRET_KEY.encode(), b"billing rls scope secret", hashlib.sha256).hexdigest()

# Console and admin sign-in delays (SIGNIN_*): declared in billing/conf.py, read by features.py.

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
