from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        from billing.app_settings import refuse_bad_settings
        from payments import conf

        refuse_bad_settings(conf.settings)  # a bad setting stops the process here (docs/configuration.md)

        from invoicing.collection import payment_method_reader_register
        from payments import (
            handlers,  # noqa: F401  (outbox handlers: emails)
            metrics,  # noqa: F401  (its metrics: outbox handlers that count, a refresher)
            reactions,  # noqa: F401  (in-transaction reactions to state changes: dunning)
        )
        from payments.selectors import payment_method_usable
        from payments.webhooks import handlers as webhook_handlers  # noqa: F401  (Stripe event handlers)
        from payments.webhooks import payment_handlers  # noqa: F401

        payment_method_reader_register(payment_method_usable)  # "add a card" in emails; reminders without one
