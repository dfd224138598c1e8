from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "metering"
    verbose_name = "Metering"

    def ready(self):
        from metering import handlers  # noqa: F401  (registers outbox handlers)
