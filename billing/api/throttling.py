"""A fixed-window request limit per API key, counted in Redis (one INCR per request): the pipeline's
throttle (billing/api/pipeline.py), which the fast lanes count in the same counter."""

from rest_framework.throttling import BaseThrottle

from billing.api import pipeline
from billing.models import ApiKey


def _now() -> float:
    return pipeline.throttle_clock()


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return True
        now = _now()
        count = pipeline.throttle_count(request.auth.pk, now)
        if count is None:  # Redis down: let the request through rather than fail it
            return True
        self._retry_after = pipeline.throttle_wait(now)
        return count <= pipeline.throttle_limit(view)

    def wait(self):
        return getattr(self, "_retry_after", pipeline.WINDOW_SECONDS)
