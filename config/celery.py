"""The Celery app. Every task runs in the operator scope as a system actor (billing.jobs)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

app = Celery("billing", task_cls="billing.jobs:OperatorTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
