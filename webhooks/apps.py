from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from billing.app_settings import refuse_bad_settings
        from webhooks import conf

        refuse_bad_settings(conf.settings)  # a bad setting stops the process here (docs/configuration.md)

        from webhooks import handlers  # noqa: F401  (outbox handlers: the finance alert)
