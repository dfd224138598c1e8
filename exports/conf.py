"""The accounts of the journal export, mapped in settings (`EXPORTS_ACCOUNTS`, `EXPORTS_REVENUE_ACCOUNTS`).

Defaults follow the French chart of accounts (plan comptable général): 411 customers, 706 services
sold, 44571 VAT collected, 512 bank, 4191 customer advances (credit balances), 709 rebates granted.
"""

from django.conf import settings

DEFAULT_ACCOUNTS = {
    "receivable": "411000",
    "revenue": "706000",
    "tax": "445710",
    "cash": "512000",
    "credit_balance": "419100",
    "credit_grants": "709000",
}
# A day range longer than this is refused (the API answers 400 naming `to`).
DEFAULT_MAX_DAYS = 366


def accounts() -> dict[str, str]:
    return {**DEFAULT_ACCOUNTS, **getattr(settings, "EXPORTS_ACCOUNTS", {})}


def revenue_account(product: str) -> str:
    """The revenue account of one product code (`EXPORTS_REVENUE_ACCOUNTS`), else the general one."""
    return getattr(settings, "EXPORTS_REVENUE_ACCOUNTS", {}).get(product) or accounts()["revenue"]


def max_days() -> int:
    return int(getattr(settings, "EXPORTS_MAX_DAYS", DEFAULT_MAX_DAYS))
