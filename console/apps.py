from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """No models: the customer console's pages that compose several apps (the overview, an invoice with its
    payments and refunds) and its URLconf. It sits above payments, so it may read every app below it."""

    name = "console"
    verbose_name = "Customer console"
