"""The console and admin sign-in forms, throttled by billing/services/signin.py.

An attempt that must wait is refused before its password is checked, with the seconds
left; one that goes through is counted as a failure unless it signs in. Escalating
delays per (username, address) and per address, never a lock-out of a username.

Why our own rather than django-axes: axes locks for a fixed cool-off (no escalating
delay), applies one failure limit to every lockout parameter (we want a small one per
username and address and a larger one per address), and needs its authentication
backend, middleware and three tables; its cache handler has no fallback when Redis
is down. One table and the forms we already use cover it.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import ngettext

from billing.middleware import client_ip
from billing.services.signin import SignInThrottled, signin_attempt_begin, signin_attempt_succeed

logger = logging.getLogger(__name__)


class ThrottledSignInMixin:
    def clean(self):
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # nothing is checked, so nothing to count
        address = client_ip(self.request) if self.request is not None else None
        try:
            attempt = signin_attempt_begin(username=username, address=address)
        except SignInThrottled as throttled:
            logger.warning("sign-in refused from %s: must wait %d s", address, throttled.wait_seconds)
            seconds = throttled.wait_seconds
            raise forms.ValidationError(
                ngettext("Too many failed sign-ins from your address. Try again in %(seconds)d second.",
                         "Too many failed sign-ins from your address. Try again in %(seconds)d seconds.", seconds),
                code="throttled", params={"seconds": seconds}) from None
        cleaned = super().clean()  # a wrong password raises: the attempt stays counted
        signin_attempt_succeed(attempt=attempt)
        return cleaned


class ConsoleSignInForm(ThrottledSignInMixin, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledSignInMixin, AdminAuthenticationForm):
    pass
