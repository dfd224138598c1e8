"""POST /webhooks/stripe/: verify the signature, store the raw event, answer 200 at once."""

from __future__ import annotations

import json
import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import tenancy
from billing.api.errors import error_body
from billing.context import acting_as
from billing.errors import ValidationFailed
from payments import conf
from payments.services.webhooks import stripe_actor, webhook_event_receive

from .signature import BadSignature, verify

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
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
    except ValueError:
        return JsonResponse(error_body(400, "The body is not a JSON object.", code="bad_request"), status=400)
    try:
        # The webhook processor is trusted code: it stores in the operator scope.
        with tenancy.operator_scope(), acting_as(stripe_actor(str(payload.get("id", "")))):
            event, created = webhook_event_receive(payload=payload)
    except ValidationFailed as exc:
        return JsonResponse(error_body(400, exc.message, code=exc.code, fields=exc.fields), status=400)
    return JsonResponse({"received": True, "id": event.event_id, "duplicate": not created})
