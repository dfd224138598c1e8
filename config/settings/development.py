"""Local development: DEBUG on unless the environment says otherwise."""

from .base import *  # noqa: F403
from .env import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# The demo operator of `make run` is a Paris company with a full legal identity, so its invoices carry every
# mention an accountant looks for; each value the environment sets (even empty) wins. Production has none.
_DEMO_OPERATOR = {
    "OPERATOR_LEGAL_NAME": "Example SaaS SAS",
    "OPERATOR_LEGAL_FORM": "SAS au capital de 10 000 €",
    "OPERATOR_TAX_ID": "FR40303265045",
    "OPERATOR_REGISTRATION_ID": "RCS Paris 303 265 045",
    "OPERATOR_IBAN": "FR7630006000011234567890189",
    "OPERATOR_BIC": "AGRIFRPP",
    "OPERATOR_INVOICE_FOOTER": "billing@example.com · https://example.com",
}
globals().update({name: value for name, value in _DEMO_OPERATOR.items() if name not in env.ENVIRON})
