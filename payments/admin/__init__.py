"""Finance admin for payments. Rows change only through services (the actions); nothing is edited by hand."""

from . import ledger, methods, money, reconciliation  # noqa: F401  (registers the model admins)
