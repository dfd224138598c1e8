import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
django_application = get_wsgi_application()

# The fast lanes that FAST_LANES names (quota checks and usage batches whose key is cached) answer before
# Django, taking the same request pipeline (docs/architecture.md, "Request pipeline").
from billing.api.fastlane import with_fast_lanes  # noqa: E402  (needs the apps loaded above)
from billing.tracing import tracing_wsgi  # noqa: E402

# With OTEL_EXPORTER_OTLP_ENDPOINT set, a request span around the lanes too (they answer before the
# Django instrumentation); without it, the application as it is.
application = tracing_wsgi(with_fast_lanes(django_application))

# The URLconf (and the views it imports) is otherwise loaded by the first request.
get_resolver().url_patterns  # noqa: B018

# What is loaded so far (Django, the apps, their modules) lives as long as the process. Frozen,
# those ~140,000 objects are no longer walked by every full collection: a batch of 1,000 usage
# events allocates enough to trigger several collections (docs/performance.md).
gc.freeze()
