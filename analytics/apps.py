from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Finance metrics"

    def ready(self):
        from analytics import metrics  # noqa: F401  (billing_mrr and billing_arr, read from the snapshots)
