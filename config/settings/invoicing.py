"""Invoicing: grace period, payment terms, number series, bill-run retries and who hears of a
subscription a bill run could not bill. Declared in invoicing/conf.py (kind, default, what is allowed,
docs line), read here from the environment variables of the same names."""

from invoicing.conf import InvoicingSettings as _Invoicing

from .env import env

globals().update(_Invoicing.from_environment(env))
