"""`/health/rollups`: the usage rollup job's lag, for monitoring (beside billing's `/health/live` and `/ready`)."""

from django.http import JsonResponse

from billing.health import failure_kind
from metering import conf
from metering.selectors.lag import rollup_lag_seconds


def rollups(request):
    """The usage rollup job's lag: 503 past `METERING_ROLLUP_LAG_ALERT_SECONDS`, for monitoring.

    Not part of readiness: usage reads stay exact while the job lags (they read more raw events),
    and taking the web processes out of service would not make the workers catch up.
    """
    try:
        lag = rollup_lag_seconds()
    except Exception as exc:
        return JsonResponse({"status": "unavailable", "errors": {"postgres": failure_kind("postgres", exc)}},
                            status=503)
    limit = conf.settings.METERING_ROLLUP_LAG_ALERT_SECONDS
    lagging = lag is None or lag > limit
    return JsonResponse({"status": "lagging" if lagging else "ok",
                         "lag_seconds": None if lag is None else round(lag, 3), "limit_seconds": limit},
                        status=503 if lagging else 200)
