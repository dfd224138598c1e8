from django.apps import AppConfig
from django.db.models.signals import post_migrate

OUR_APPS = ("billing", "metering", "invoicing", "payments", "webhooks", "analytics")


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self):
        from billing import conf
        from billing.app_settings import refuse_bad_settings

        # First: a bad setting stops web, workers and manage.py here (docs/configuration.md).
        refuse_bad_settings(conf.settings)

        from billing import dbtypes, lookups, tenancy  # noqa: F401  (on-connect signals, the `any` lookup)
        from billing.api.keycache import connect_signals

        connect_signals()

        from billing import metric_store, metrics

        metric_store.collector_register()  # the business metrics on /metrics (docs/observability.md)
        metrics.celery_signals_connect()

        from billing import job_runs

        job_runs.celery_signals_connect()  # the last run of each periodic job, for the schedule page

        from billing import beat_lock  # noqa: F401  (a beat waits for the lease before scheduling)
        from billing.tracing import tracing_setup

        tracing_setup()  # only with OTEL_EXPORTER_OTLP_ENDPOINT set; imports nothing otherwise

        post_migrate.connect(_after_migrate, dispatch_uid="billing_after_migrate")


def _after_migrate(sender, using="default", **kwargs):
    """After each app migrates: the RLS scope secret, policies and grants, then the finance groups' permissions."""
    from django.apps import apps

    from billing.rls import apply_policies, grant_app_role, install_scope_secret
    from billing.roles import sync_finance_groups

    last_with_models = [a for a in apps.get_app_configs() if a.models_module is not None][-1]
    from django.conf import settings
    from django.db import connections

    # A flush (between transactional tests) also sends post_migrate, as the app role:
    # DDL is the owner's job, so only migrations made as the owner touch policies.
    is_owner = connections[using].settings_dict["USER"] != settings.DATABASE_APP_ROLE
    if sender.name == last_with_models.name and is_owner:
        install_scope_secret(using)
        apply_policies(using)
        grant_app_role(using)
    if sender.name in (*OUR_APPS, "django_celery_beat"):  # the beat schedule: read by both, edited by admins
        sync_finance_groups(sender, using)
