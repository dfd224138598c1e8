"""The customer console's pages that compose several apps: above payments, below demo (docs/architecture.md,
"Layers"). Pages that need only one app and those below it stay in that app (metering's usage, payments').
"""
