"""Redis, cache and Celery."""

from importlib import import_module

from kombu import Queue

from .env import env

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("CACHE_URL", default="redis://127.0.0.1:6379/1"),
        "KEY_PREFIX": "billing",
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True  # a worker killed halfway leaves the task to be redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# django-celery-beat's, keeping finance's edits of a declared job across restarts (billing/beat_schedule.py).
CELERY_BEAT_SCHEDULER = "billing.beat_schedule:DeclaredJobsScheduler"
# A queue per kind of work, so that a long bill run never delays the outbox (emails, webhooks, the
# stream) or the rollups (docs/scaling.md). A worker started without `-Q` consumes all of them, as
# `make run` does; a larger deployment starts workers per queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name) for name in ("celery", "billing-runs", "payments", "events", "metering")]
CELERY_TASK_ROUTES = {
    "invoicing.*": {"queue": "billing-runs"},       # bill runs, finalization, PDFs, reminders
    "payments.*": {"queue": "payments"},            # collection, dunning, reconciliation, Stripe webhooks
    "billing.outbox_deliver": {"queue": "events"},  # emails, webhooks, the event stream
    "webhooks.*": {"queue": "events"},
    "metering.*": {"queue": "metering"},            # rollups, alerts, partitions
}
# Each app lists its periodic jobs in `<app>/schedule.py` as BEAT_SCHEDULE (plain data).
CELERY_BEAT_SCHEDULE = {}
for _app in ("billing", "metering", "invoicing", "payments", "webhooks", "analytics"):
    CELERY_BEAT_SCHEDULE.update(import_module(f"{_app}.schedule").BEAT_SCHEDULE)
