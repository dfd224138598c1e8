from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "metering"
    verbose_name = "Metering"

    def ready(self):
        from billing.app_settings import refuse_bad_settings
        from metering import conf

        refuse_bad_settings(conf.settings)  # a bad setting stops the process here (docs/configuration.md)

        from prometheus_client import REGISTRY

        from metering import metrics  # noqa: F401  (its metrics and their refresher)
        from metering.selectors.lag import RollupLagCollector

        if not getattr(REGISTRY, "_metering_rollup_lag", False):  # ready() can run twice (tests)
            REGISTRY.register(RollupLagCollector())
            REGISTRY._metering_rollup_lag = True
