from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"

    def ready(self):
        from billing.app_settings import refuse_bad_settings
        from invoicing import conf

        refuse_bad_settings(conf.settings)  # a bad setting stops the process here (docs/configuration.md)

        from billing.selectors import email_preferences_register
        from invoicing import (
            handlers,  # noqa: F401  (outbox handlers: billing emails)
            metrics,  # noqa: F401  (its metrics: outbox handlers that count, a refresher)
            usage_emails,  # noqa: F401  (outbox handler: the usage-threshold email)
        )
        from invoicing.customers import email_preferences_of

        email_preferences_register(email_preferences_of)  # extra contacts and opt-outs, for every app's emails
