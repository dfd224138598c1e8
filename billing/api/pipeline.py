"""The API's request pipeline, step by step, as plain functions: what Django's middleware, DRF's
authentication and throttle, and the fast lanes (billing/api/fastlane.py) all call, so a request is
treated the same whichever way it came in (docs/architecture.md, "Request pipeline").

1. request id: `request_id_from` (the caller's X-Request-ID when it is valid, else a new one);
2. host and scheme: `host_allowed` (ALLOWED_HOSTS, as `HttpRequest.get_host()`) and
   `https_redirect_due` (SECURE_SSL_REDIRECT, as Django's SecurityMiddleware). On the full path
   Django's own middleware applies them; a lane asks them first and hands a refused request to
   Django, so the 400 and the 301 are Django's answers whichever way the request came in;
3. the bearer key: `bearer_key` (the one parser of `Authorization`);
4. the key: `api_key_authenticated` (PostgreSQL, the full path) or `KnownKeys` (the
   authenticated-key cache, billing/api/keycache.py, for the lanes);
5. the per-key throttle: `throttle_limit`, `throttle_clock`, `throttle_key`, `throttle_count`, `throttle_wait`;
6. the key's tenancy scope and audit actor: `api_key_enter`, and `request_leave` after;
7. the headers Django's middleware adds to an API answer: `answer_headers`.

What can be worked out once per process (parsed settings, a host's verdict, a language) is, and
forgotten when a setting changes (tests), so the lanes do no more per request than before.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
import uuid
from types import SimpleNamespace

import redis
from django.conf import settings
from django.core.handlers.wsgi import get_path_info, get_script_name
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.utils import translation

from billing import conf, redis_client, tenancy
from billing.api import keycache
from billing.context import SYSTEM, Actor, set_actor
from billing.models import ApiKey
from billing.services.accounts import key_matches, split_key

# 1. Request id

VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def request_id_from(incoming: str) -> str:
    """The caller's X-Request-ID when it is one we can log safely, else a new one."""
    return incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex


# 2. Host and scheme, by Django's rules (django/http/request.py, django/middleware/security.py)

MAX_REMEMBERED = 1_000  # distinct hosts (or languages) remembered per process; a client choosing them cannot grow it


@functools.cache
def _transport() -> SimpleNamespace:
    """The settings the host and scheme checks and the answer's headers read, once per process."""
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # as HttpRequest.get_host()
    return SimpleNamespace(
        allowed_hosts=list(allowed), forwarded_host=settings.USE_X_FORWARDED_HOST,
        forwarded_port=settings.USE_X_FORWARDED_PORT, proxy_ssl_header=settings.SECURE_PROXY_SSL_HEADER,
        ssl_redirect=settings.SECURE_SSL_REDIRECT,
        redirect_exempt=[re.compile(pattern) for pattern in settings.SECURE_REDIRECT_EXEMPT],
        hosts={}, languages={})


def is_secure(environ) -> bool:
    """`HttpRequest.is_secure()`: SECURE_PROXY_SSL_HEADER when the proxy sent it, else the server's scheme."""
    proxy = _transport().proxy_ssl_header
    if proxy:
        value = environ.get(proxy[0])
        if value is not None:
            return value.split(",", 1)[0].strip() == proxy[1]
    return environ.get("wsgi.url_scheme") == "https"


def _raw_host(environ, transport) -> str:
    """`HttpRequest._get_raw_host()`."""
    if transport.forwarded_host and "HTTP_X_FORWARDED_HOST" in environ:
        return environ["HTTP_X_FORWARDED_HOST"]
    if "HTTP_HOST" in environ:
        return environ["HTTP_HOST"]
    host = environ["SERVER_NAME"]
    port = (environ["HTTP_X_FORWARDED_PORT"] if transport.forwarded_port and "HTTP_X_FORWARDED_PORT" in environ
            else str(environ["SERVER_PORT"]))
    return host if port == ("443" if is_secure(environ) else "80") else f"{host}:{port}"


def host_allowed(environ) -> bool:
    """Whether `HttpRequest.get_host()` accepts this request's host (else Django answers 400).
    Each host's verdict is remembered: ALLOWED_HOSTS is read and matched once per host per process."""
    transport = _transport()
    host = _raw_host(environ, transport)
    verdict = transport.hosts.get(host)
    if verdict is None:
        if len(transport.hosts) >= MAX_REMEMBERED:
            transport.hosts.clear()
        domain, _ = split_domain_port(host)
        verdict = transport.hosts[host] = bool(domain) and validate_host(domain, transport.allowed_hosts)
    return verdict


def https_redirect_due(environ) -> bool:
    """Whether SecurityMiddleware redirects this request to https (SECURE_SSL_REDIRECT, not already
    secure, the path not in SECURE_REDIRECT_EXEMPT), so Django answers 301."""
    transport = _transport()
    if not transport.ssl_redirect or is_secure(environ):
        return False  # the lanes' usual case: nothing more to work out
    path_info = get_path_info(environ) or "/"  # `request.path` as WSGIRequest builds it
    path = "{}/{}".format(get_script_name(environ).rstrip("/"), path_info.replace("/", "", 1)).lstrip("/")
    return not any(pattern.search(path) for pattern in transport.redirect_exempt)


# 3. The bearer key


class CredentialsRefused(Exception):
    """The request's credentials are refused; the message says why (the API's 401)."""


def bearer_key(header: str) -> tuple[str, str] | None:
    """(prefix, raw key) of `Authorization: Bearer bk_<prefix>_<secret>`, the scheme in any case
    (RFC 7235 §2.1); None without the header; CredentialsRefused otherwise."""
    if not header:
        return None
    scheme, _, raw_key = header.partition(" ")
    raw_key = raw_key.strip()
    if scheme.lower() != "bearer" or not raw_key:
        raise CredentialsRefused("Use 'Authorization: Bearer <api key>'.")
    parsed = split_key(raw_key)
    if parsed is None:
        raise CredentialsRefused("Malformed API key.")
    return parsed


# 4. The key: from PostgreSQL (full path) or from the authenticated-key cache (lanes)


def api_key_authenticated(prefix: str, raw_key: str) -> ApiKey:
    """The active ApiKey of this prefix whose hash matches; CredentialsRefused otherwise. The key decides
    the scope, so it is read before one exists: through a database function that sees API keys only
    (migration 0006)."""
    api_key = next(iter(ApiKey.objects.raw("SELECT * FROM billing_api_key_by_prefix(%s)", [prefix])), None)
    if api_key is None or not key_matches(api_key, raw_key):
        raise CredentialsRefused("Invalid API key.")
    if not api_key.is_active:
        raise CredentialsRefused("This API key has been revoked.")
    return api_key


class KnownKeys:
    """The authenticated-key cache's entries one lane has read, by entry key: each is read from Redis
    once per process, and the lane's script confirms on every request that it is still exactly that
    (`forget` it when it is not)."""

    MAX_KNOWN = 10_000

    def __init__(self):
        self._known: dict[str, tuple[bytes, keycache.CachedKey]] = {}

    def lookup(self, raw_key: str) -> tuple[str, bytes, keycache.CachedKey] | None:
        """(entry key, entry, key) of a cached key; None when it is not cached (or is a tombstone)."""
        entry_key = keycache.entry_key(hashlib.sha256(raw_key.encode()).hexdigest())  # ApiKey.key_hash
        known = self._known.get(entry_key)
        if known is None:
            value = redis_client.client().get(entry_key)
            api_key = keycache.decode(value)
            if api_key is None:
                return None
            if len(self._known) >= self.MAX_KNOWN:
                self._known.clear()
            known = self._known[entry_key] = (value, api_key)
        return entry_key, *known

    def forget(self, entry_key: str) -> None:
        self._known.pop(entry_key, None)


# 5. The per-key throttle: a fixed window, one Redis counter per key and minute

WINDOW_SECONDS = 60


def throttle_clock() -> float:
    """The throttle's time: both paths read it here, so their windows (and a test's frozen one) agree."""
    return time.time()


def throttle_limit(view) -> int:
    """Requests per minute per key: the view's own `throttle_rate_per_minute`, else API_THROTTLE_RATE_PER_MINUTE."""
    return getattr(view, "throttle_rate_per_minute", None) or conf.settings.API_THROTTLE_RATE_PER_MINUTE


@functools.cache
def _throttle_key_format():
    """The throttle's key as the cache names it (its prefix and version), built once: the cache proxy
    costs more than the rest of the key."""
    from django.core.cache import cache

    marker = "throttle-key-marker"
    return cache.make_and_validate_key(marker).replace(marker, "throttle:{}:{}").format


def throttle_key(key_id: int, now: float) -> str:
    return _throttle_key_format()(key_id, int(now // WINDOW_SECONDS))


def throttle_count(key_id: int, now: float) -> int | None:
    """Count a request for the key's window (INCR, and the window's key expires after it: one round
    trip); the count so far, or None when Redis cannot be reached (the request is then let through)."""
    key = throttle_key(key_id, now)
    try:
        count, _ = redis_client.client().pipeline(transaction=False).incr(key).expire(
            key, WINDOW_SECONDS * 2).execute()
    except redis.RedisError:
        return None
    return count


def throttle_wait(now: float) -> int:
    """Seconds until the window ends (the 429's Retry-After)."""
    return WINDOW_SECONDS - int(now) % WINDOW_SECONDS


# 6. The key's scope and actor


def api_key_enter(*, key_id: int, account_id: int | None, label: str, ip_address: str | None) -> None:
    """The request runs in the key's tenancy scope (its account's, or the operator's for a key without
    one) and is audited as the key, by its label (`str(ApiKey)`: its name and prefix) on every path."""
    tenancy.activate(tenancy.OPERATOR if account_id is None else tenancy.Scope(account_id=account_id))
    set_actor(Actor(type="api_key", id=str(key_id), label=label, ip_address=ip_address))


def request_leave() -> None:
    """No scope and the system actor: before and after every request, so none leaks into the next."""
    tenancy.reset()
    set_actor(SYSTEM)


# 7. The answer's headers


@functools.cache
def _security_headers(secure: bool) -> tuple[tuple[str, str], ...]:
    """What SecurityMiddleware and XFrameOptionsMiddleware add to an API answer. django-csp adds
    nothing to JSON (billing/csp.py: only documents get a policy)."""
    headers = []
    if secure and settings.SECURE_HSTS_SECONDS:
        value = f"max-age={settings.SECURE_HSTS_SECONDS}"
        value += "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else ""
        value += "; preload" if settings.SECURE_HSTS_PRELOAD else ""
        headers.append(("Strict-Transport-Security", value))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        parts = [v.strip() for v in policy.split(",")] if isinstance(policy, str) else policy
        headers.append(("Referrer-Policy", ",".join(parts)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS.upper()))
    return tuple(headers)


def _language(environ) -> str:
    """LocaleMiddleware's choice (the language cookie, then Accept-Language), remembered per header pair."""
    languages = _transport().languages
    asked = (environ.get("HTTP_ACCEPT_LANGUAGE", ""), environ.get("HTTP_COOKIE", ""))
    language = languages.get(asked)
    if language is None:
        if len(languages) >= MAX_REMEMBERED:
            languages.clear()
        request = SimpleNamespace(COOKIES=parse_cookie(asked[1]), META={"HTTP_ACCEPT_LANGUAGE": asked[0]})
        language = languages[asked] = translation.get_language_from_request(request)
    return language


def answer_headers(environ) -> list[tuple[str, str]]:
    """The headers Django's middleware adds to an API view's answer (all but the request id): the
    security headers, and LocaleMiddleware's language with the Vary it and the session add."""
    return [*_security_headers(is_secure(environ)), ("Content-Language", _language(environ)),
            ("Vary", "Accept-Language, Cookie")]


@receiver(setting_changed, dispatch_uid="billing_pipeline_setting_changed")
def _forget_settings(**kwargs) -> None:
    _transport.cache_clear()
    _security_headers.cache_clear()
    _throttle_key_format.cache_clear()
