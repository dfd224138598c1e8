"""What the daily ledger check found: read-only, one row per account and difference (finance is emailed)."""

from __future__ import annotations

from django.contrib import admin

from payments.admin.common import PaymentsAdmin
from payments.models import LedgerDifference


@admin.register(LedgerDifference)
class LedgerDifferenceAdmin(PaymentsAdmin):
    list_display = ["id", "account", "found_at"]
    list_filter = ["found_at"]
    search_fields = ["account__name"]
    fields = ["account", "found_at", "differences", "fingerprint"]
    readonly_fields = fields
