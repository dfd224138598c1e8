"""Usage metering (docs/metering.md): declared in metering/conf.py (kind, default, what is allowed,
docs line), read here from the environment variables of the same names."""

from metering.conf import MeteringSettings as _Metering

from .env import env

globals().update(_Metering.from_environment(env))
