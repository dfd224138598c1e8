"""Django integration for operator services: check a quota before a view, send usage after it.

settings.py of the operator's service:

    BILLING_CLIENT = {
        "url": "https://billing.example.com",
        "api_key": "bk_...",                               # an operator key with usage:read and usage:write
        "customer": "myapp.billing.customer_of",           # request -> external customer id (or None: not metered)
        "metric": "api_calls",                             # what the middleware meters
    }
    MIDDLEWARE = [..., "billing_client.django.QuotaMiddleware"]

or per view:

    from billing_client.django import metered

    @metered("gpu_seconds", quantity=lambda request, response: response.gpu_seconds)
    def completion(request): ...

`quantity` is sent as the event's `value`, for a metric that aggregates it (no `field_name`); leave
it out for a `count` metric (one event per call): the API refuses a value there.

A refused quota answers 429 with Retry-After; the usage event is queued after the
response is built and sent by a background thread, so it never delays the request.
"""

from __future__ import annotations

import functools
from importlib import import_module

from django.conf import settings
from django.http import JsonResponse

from . import BillingClient, UsageSender

_state: dict = {}


def _setup():
    if not _state:
        config = settings.BILLING_CLIENT
        client = BillingClient(config["url"], config["api_key"], timeout=config.get("timeout", 0.5),
                               fail_open=config.get("fail_open", True))
        module, _, name = config["customer"].rpartition(".")
        _state.update(client=client, sender=UsageSender(client), customer=getattr(import_module(module), name),
                      metric=config.get("metric", "api_calls"))
    return _state


def _refused(decision):
    response = JsonResponse({"error": {"code": "quota_exceeded", "message": f"Quota of {decision.metric} reached."}},
                            status=429)
    if decision.retry_after:
        response["Retry-After"] = str(decision.retry_after)
    return response


def _metered_call(request, call, metric: str, quantity):
    state = _setup()
    customer = state["customer"](request)
    if customer is None:
        return call()
    checked = 1 if quantity is None or callable(quantity) else quantity
    decision = state["client"].check(metric, checked, external_customer_id=customer)
    if not decision.allowed:
        return _refused(decision)
    response = call()
    if response.status_code < 500:
        # None: one event without a value (a count metric counts events and refuses a value).
        amount = quantity(request, response) if callable(quantity) else quantity
        key = request.headers.get("X-Request-ID") or None
        state["sender"].record(metric, value=amount, external_customer_id=customer, idempotency_key=key)
    return response


class QuotaMiddleware:
    """Meters every request of a known customer as one unit of settings.BILLING_CLIENT["metric"]."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return _metered_call(request, lambda: self.get_response(request), _setup()["metric"], None)


def metered(metric: str, quantity=None):
    """Decorator for one view: check before, record after. `quantity` is the event's value, a number
    or f(request, response), for a sum metric; None (a count metric) records one event without a value."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            return _metered_call(request, lambda: view(request, *args, **kwargs), metric, quantity)
        return wrapper
    return decorate
