"""Billing's settings (feature flags, time travel, the operator's own details, the API's limits and key
cache, sign-in delays): declared in billing/conf.py (kind, default, what is allowed, docs line), read here
from the environment variables of the same names."""

from billing.conf import BillingSettings as _Billing

from .env import env

globals().update(_Billing.from_environment(env))
