"""The test suite: real PostgreSQL and Redis, local-memory email, eager nothing."""

import os

from .base import *  # noqa: F403

DEBUG = False
# Each test process gets its own database, so several suites can run at once.
DATABASES["default"]["TEST"] = {"NAME": f"test_billing_{os.getpid()}"}  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
TESTING = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only, tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Parallel test workers and earlier runs share one Redis: a fresh prefix per
# process keeps their keys apart (ids restart with each new test database).
CACHES["default"]["KEY_PREFIX"] = f"billing-test-{__import__('uuid').uuid4().hex[:12]}"  # noqa: F405
CACHES["default"]["TIMEOUT"] = 3600  # noqa: F405
# Serve static files from the apps' folders, as in development: tests run no collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
