from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"

    def ready(self):
        from invoicing import handlers  # noqa: F401  (outbox handlers: billing emails)
