"""POST /webhooks/stripe/: verify the signature, store the raw event, answer 200 at once.

Before this view runs, `billing.middleware.ApiTransportMiddleware` refuses a body that is
not JSON (415) or larger than API_MAX_BODY_BYTES (413), in the API's error shape; a Stripe
event is a few kilobytes.
"""

from __future__ import annotations

import json
import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from billing import tenancy
from billing.api.errors import error_body, error_response
from billing.context import acting_as
from billing.errors import ValidationFailed
from payments import conf
from payments.services.webhooks import stripe_actor, webhook_event_receive

from .signature import BadSignature, verify

logger = logging.getLogger(__name__)


@csrf_exempt
def stripe_webhook(request):
    if request.method != "POST":
        return error_response(405, f'Method "{request.method}" not allowed.', headers={"Allow": "POST"})
    try:
        verify(payload=request.body, header=request.headers.get("Stripe-Signature"),
               secret=conf.settings.STRIPE_WEBHOOK_SECRET,
               tolerance=conf.settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS)
    except BadSignature as exc:
        logger.warning("stripe webhook refused: %s", exc)
        return JsonResponse(error_body(400, f"Bad signature: {exc}", code="bad_signature"), status=400)
    try:
        payload = json.loads(request.body)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than the stack
        return JsonResponse(error_body(400, "The body is not a JSON object.", code="bad_request"), status=400)
    try:
        # The webhook processor is trusted code: it stores in the operator scope.
        with tenancy.operator_scope(), acting_as(stripe_actor(str(payload.get("id", "")))):
            event, created = webhook_event_receive(payload=payload)
    except ValidationFailed as exc:
        return JsonResponse(error_body(400, exc.message, code=exc.code, fields=exc.fields), status=400)
    return JsonResponse({"received": True, "id": event.event_id, "duplicate": not created})
