"""Finance metrics: MRR snapshots and their month figures, revenue recognition, the finance dashboard.

Above payments in the layers (docs/architecture.md): it reads billing, invoicing, payments and webhooks,
and nothing imports it. The definitions are in docs/metrics.md.
"""
