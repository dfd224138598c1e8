"""Production: refuses to start with DEBUG on, the default secret key or a short RLS scope secret;
HTTPS only (redirect, HSTS, secure cookies) unless the environment says otherwise."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEBUG, DEFAULT_SECRET_KEY, SECRET_KEY
from .env import env

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production")
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of 32+ characters")
if env.str("RLS_SCOPE_SECRET", default="") and len(env.str("RLS_SCOPE_SECRET")) < 32:
    raise ImproperlyConfigured("RLS_SCOPE_SECRET must be a random value of 32+ characters (or unset: derived)")

LOG_JSON = env.bool("LOG_JSON", default=True)
BILLING_CLOCK_TRAVEL = env.bool("BILLING_CLOCK_TRAVEL", default=False)
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_JSON else "plain"  # noqa: F405
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a TLS-terminating proxy, set DJANGO_TRUST_X_FORWARDED_PROTO (security.py), or every request
# looks like plain HTTP and is redirected again and again. /health/* and /metrics are never redirected.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600)
