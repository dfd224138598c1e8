"""Outbound webhooks: which private networks endpoints may resolve to, and the time limit of an attempt.
Declared in webhooks/conf.py (kind, default, what is allowed, docs line), read here from the environment
variables of the same names."""

from webhooks.conf import WebhooksSettings as _Webhooks

from .env import env

globals().update(_Webhooks.from_environment(env))
