import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
django_application = get_wsgi_application()

# Quota checks whose key, limits and counter are cached are answered before Django (docs/metering.md).
from metering.quotas.fastlane import QuotaFastLane  # noqa: E402  (needs the apps loaded above)

application = QuotaFastLane(django_application)
