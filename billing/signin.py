"""Sign-in throttling for the console and the admin: failed attempts counted in Redis.

After SIGNIN_FAILURE_LIMIT failed sign-ins for one username from one address, or
SIGNIN_FAILURE_LIMIT × 4 for one username from anywhere, within
SIGNIN_LOCKOUT_SECONDS, that username is refused (even with the right password)
until the window has passed since the last failure, so guessing a password costs
hours rather than seconds. A success clears the address's count. The counters live
in the cache (Redis); with Redis down, sign-in works unthrottled rather than not at all.

Why our own form rather than django-axes: two cache counters in the login forms
we already use cover it; axes would add an authentication backend, a middleware
and its own tables for the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache

logger = logging.getLogger(__name__)
REFUSED = "Too many failed sign-ins for this username. Try again in %(minutes)d minutes."


def _keys(username: str, address: str | None) -> tuple[str, str]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"signin:fail:{name}:{address or '-'}", f"signin:fail:{name}"


def _counts(username: str, address: str | None) -> tuple[int, int]:
    try:
        found = cache.get_many(_keys(username, address))
    except Exception:  # Redis down: do not lock everyone out
        return 0, 0
    here, anywhere = _keys(username, address)
    return int(found.get(here, 0)), int(found.get(anywhere, 0))


def signin_refused(username: str, address: str | None) -> bool:
    here, anywhere = _counts(username, address)
    limit = settings.SIGNIN_FAILURE_LIMIT
    return here >= limit or anywhere >= limit * 4


def signin_failed(username: str, address: str | None) -> None:
    window = settings.SIGNIN_LOCKOUT_SECONDS
    for key in _keys(username, address):
        try:
            cache.add(key, 0, window)
            cache.incr(key)
            cache.touch(key, window)
        except Exception:
            logger.warning("sign-in: could not count a failure (cache unavailable)")
            return


def signin_succeeded(username: str, address: str | None) -> None:
    with contextlib.suppress(Exception):  # Redis down: nothing was counted either
        cache.delete(_keys(username, address)[0])


class ThrottledSignInMixin:
    def clean(self):
        username = self.data.get("username") or ""
        address = self.request.META.get("REMOTE_ADDR") if self.request is not None else None
        if username and signin_refused(username, address):
            logger.warning("sign-in refused for a throttled username from %s", address)
            raise forms.ValidationError(REFUSED, code="throttled",
                                        params={"minutes": max(1, settings.SIGNIN_LOCKOUT_SECONDS // 60)})
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                signin_failed(username, address)
            raise
        signin_succeeded(username, address)
        return cleaned


class ConsoleSignInForm(ThrottledSignInMixin, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass
