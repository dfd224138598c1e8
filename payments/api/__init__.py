"""The payments API: payment methods, payments, refunds and reconciliation runs (thin views)."""
