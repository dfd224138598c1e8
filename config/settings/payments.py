"""Payments: which gateway moves money, Stripe's keys and the knobs of failure handling. Declared in
payments/conf.py (kind, default, what is allowed, docs line), read here from the environment variables
of the same names. Nothing here builds a client: the gateway is created on first use
(payments.gateways.gateway())."""

from payments.conf import PaymentsSettings as _Payments

from .env import env

globals().update(_Payments.from_environment(env))
