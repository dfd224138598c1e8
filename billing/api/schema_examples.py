"""An example for every operation of the OpenAPI schema (a drf-spectacular postprocessing hook).

A view may give its own (`extend_schema(examples=[OpenApiExample(...)])`); every request
body and success answer without one gets one here, made from its finished schema: each
field an example of its type, its format, its bounds and its choices, with the values a
billing API would carry where the field's name says what it is (`currency` "USD",
amounts 9900 minor units, `status` its first choice). Made from the schema, each example
is valid against it; tests/billing/test_transport_schema.py checks that it is.
"""

from __future__ import annotations

import re

# What a field holds, by its name (the values the docs use: Acme, the standard plan, api_calls).
STRINGS = {
    "currency": "USD", "country": "FR", "code": "standard", "plan": "standard", "metric": "api_calls",
    "metric_code": "api_calls", "coupon": "WELCOME20", "name": "Acme Corp", "legal_name": "Acme Corp SAS",
    "description": "Standard plan, billed monthly", "unit": "call", "email": "billing@acme.example",
    "external_id": "acme", "external_customer_id": "acme", "idempotency_key": "req-8f2a-0001",
    "reason": "Requested by the customer", "reference": "TRX-2026-11-21-0042", "number": "INV-2026-000042",
    "prefix": "k3x9f2a1", "secret": "bk_k3x9f2a1_5hQk3r9ZxW2mVt8LpN4cYb6JdG0sFa1e", "request_id":
    "9f1c2d4e5a6b47c8a1b2c3d4e5f60718", "message": "Some fields are invalid.", "group": "model=small",
    "group_key": "model=small", "city": "Paris", "postal_code": "75002", "address_line1": "1 rue de la Paix",
    "tax_id": "FR40303265045", "tax_name": "VAT FR", "region": "", "brand": "visa", "last4": "4242",
    "gateway": "stripe", "gateway_id": "pm_1QbC2d3E4f5G6h7I", "fingerprint": "Xt5EWLLDS7FJjR1c",
    "client_secret": "seti_1QbC2d_secret_k3x9", "publishable_key": "pk_live_51QbC2d", "field_name": "tokens",
    "aggregation": "count", "source": "redis", "version": "1.0.0", "api_version": "v1",
    "invoice_notes": "PO 4500012345", "preferred_language": "en", "action": "subscription.created",
    "object_type": "subscription", "object_id": "42", "actor_label": "API key k3x9f2a1", "ip_address": "203.0.113.7",
}
STRINGS |= {"tax_note": "", "memo": "Thank you for your business.", "pdf_url": "/api/v1/invoices/42/pdf",
            "payment_reference": "TRX-2026-11-21-0042", "failure_message": "", "failure_code": "", "note": "",
            "error": "", "bank_name": "", "trigger": "api", "resolution": "", "actor_id": "7", "actor_type": "api_key",
            "interval": "month", "downgrade_timing": "period_end", "cap_mode": "hard", "timing": "immediate"}
# Webhook endpoints and their deliveries (docs/events.md).
STRINGS |= {"url": "https://orders.example.com/hooks/billing", "event_type": "billing.invoice.paid",
            "message_id": "evt_1042", "last_error": "", "response_excerpt": "ok", "disabled_reason": ""}
DECIMALS = {"unit_price": "0.002", "percent_off": "20", "quantity": "3", "usage": "1250", "value": "12.5",
            "requested": "1", "remaining": "8750", "overage": "0", "limit": "10000", "tax_percentage": "20",
            "proration_factor": "0.5", "percentage": "20", "percent_used": "12.5", "projected_usage": "2500", "hard_limit": "11000"}
# Minor units that add up: a 99.00 line, 20 % tax, nothing discounted, credited or paid yet.
NUMBERS = {"subtotal": 9900, "amount": 9900, "flat_amount": 9900, "seat_amount": 500, "tax_total": 1980,
           "tax_amount": 1980, "total": 11880, "amount_due": 11880, "discount_total": 0, "discount_amount": 0,
           "credit_applied": 0, "credited_total": 0, "amount_paid": 0, "amount_refunded": 0, "amount_off": 500,
           "overage_cost": 0, "projected_overage_cost": 0, "total_discrepancy": 0, "times_redeemed": 1,
           "included": 10000, "included_seats": 3, "grace_percent": 10, "trial_days": 14, "sort_order": 0,
           "block_size": 1, "package_size": 1, "free_units": 0, "alert_threshold": 80,
           "status_code": 200, "last_status_code": 200, "latency_ms": 180, "attempts": 1, "replayed": 3}
# Free-form JSON, by name (a JSONField has no schema to build one from).
OBJECTS = {"metadata": {"crm_id": "0061t00000AbCdE"}, "customer": {"legal_name": "Acme Corp SAS", "country": "FR"},
           "operator": {"name": "Example SaaS Ltd", "country": "FR"}, "inputs": {"quantity": "3"},
           "tax_breakdown": [{"name": "VAT FR", "percentage": "20", "taxable": 9900, "tax": 1980}],
           "before": {"status": "trialing"}, "after": {"status": "active"}, "details": {}, "filters": {},
           "properties": {"region": "eu"}, "balance": {"USD": 2500}}
# What `name`, `code` and `description` hold, by the collection an operation is about.
SUBJECTS = {
    "plans": {"name": "Standard", "code": "standard", "description": "Standard plan, billed monthly"},
    "billable-metrics": {"name": "API calls", "code": "api_calls", "description": "Calls to the public API"},
    "tax-rates": {"name": "VAT FR", "description": "French VAT, standard rate"},
    "api-keys": {"name": "billing service"},
    "coupons": {"name": "Welcome offer", "code": "WELCOME20"},
    "invoices": {"description": "Onboarding workshop", "code": "LOYALTY10"},
    "subscriptions": {"code": "WELCOME20"},
    "webhook-endpoints": {"description": "Order system", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                          "result": "succeeded", "status": "succeeded"},
}
AMOUNT_WORDS = ("amount", "total", "subtotal", "balance", "cost", "fee", "paid", "due", "credited", "refunded",
                "applied")
_DECIMAL_CANDIDATES = ("12.5", "1.25", "12", "1", "0")


def add_examples(result, generator, request, public):
    """The hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    components = result.get("components", {}).get("schemas", {})
    for path, methods in result.get("paths", {}).items():
        subject = SUBJECTS.get(path.removeprefix("/api/v1/").split("/")[0], {})
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _give_example(media, components, subject, writing=True)
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    for media_type, media in response.get("content", {}).items():
                        if media_type == "application/json":
                            _give_example(media, components, subject, writing=False)
    return result


def _give_example(media: dict, components: dict, subject: dict, *, writing: bool) -> None:
    if "schema" in media and "example" not in media and "examples" not in media:
        _subject.update(subject)
        try:
            media["example"] = example_of(media["schema"], components, writing=writing)
        finally:
            _subject.clear()


_subject: dict[str, str] = {}  # the operation's SUBJECTS entry while its examples are made


def example_of(schema: dict, components: dict, name: str = "", *, writing: bool = False, depth: int = 0):
    """A value valid against `schema` (OpenAPI 3.1), shaped by the field's `name`."""
    if "$ref" in schema:
        return example_of(components[schema["$ref"].rsplit("/", 1)[-1]], components, name, writing=writing,
                          depth=depth)
    if "example" in schema:
        return schema["example"]
    if not {"type", "$ref", "allOf", "oneOf", "anyOf", "enum", "properties"} & schema.keys():
        return OBJECTS.get(name)  # any JSON: a JSONField
    for combined in ("allOf", "oneOf", "anyOf"):
        if schema.get(combined):
            return example_of(schema[combined][0], components, name, writing=writing, depth=depth)
    if "enum" in schema:
        preferred = _subject.get(name) or STRINGS.get(name)
        if preferred in schema["enum"]:
            return preferred
        return next((value for value in schema["enum"] if value is not None), None)
    if "default" in schema and schema["default"] is not None and not isinstance(schema["default"], dict | list):
        return schema["default"]
    kind = schema.get("type")
    if isinstance(kind, list):  # 3.1's nullable: `["integer", "null"]`; the example shows the value
        kind = next((one for one in kind if one != "null"), None)
    if kind == "object" or "properties" in schema:
        return _object(schema, components, name, writing=writing, depth=depth)
    if kind == "array":
        count = max(1, schema.get("minItems", 1)) if depth < 6 else schema.get("minItems", 0)
        return [example_of(schema.get("items", {}), components, _singular(name), writing=writing, depth=depth + 1)
                for _ in range(count)]
    if kind == "integer":
        return _number(schema, name, integer=True)
    if kind == "number":
        return _number(schema, name, integer=False)
    if kind == "boolean":
        return not name.startswith(("preview", "clear", "cancel", "bill_during", "inclusive", "consumed",
                                    "duplicate", "offline", "alerted", "overage_allowed"))
    if kind == "string" or "format" in schema or "pattern" in schema:
        return _string(schema, name)
    return None


def _object(schema: dict, components: dict, name: str, *, writing: bool, depth: int) -> dict:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    if properties:
        # A request example sends what is required (a body with nothing required: its first fields).
        chosen = [key for key in properties if key in required] if writing and required else list(properties)
        if writing and not required:
            chosen = chosen[:3]
        out = {}
        for key in chosen:
            sub = properties[key]
            resolved = components.get(sub.get("$ref", "").rsplit("/", 1)[-1], sub)
            if resolved.get("readOnly") and writing or resolved.get("writeOnly") and not writing:
                continue
            out[key] = example_of(sub, components, key, writing=writing, depth=depth + 1)
        return out
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and extra and depth < 6:
        key = "USD" if name in ("prices", "balance") else "region" if name in ("filters", "properties") else "key"
        return {key: example_of(extra, components, _singular(name), writing=writing, depth=depth + 1)}
    return {}


def _number(schema: dict, name: str, *, integer: bool):
    if name in NUMBERS:
        value = NUMBERS[name]
    elif name == "id" or name.endswith("_id"):
        value = 42
    elif any(word in name for word in AMOUNT_WORDS):
        value = 9900
    elif name in ("interval_count", "version", "plan_version", "attempt"):
        value = 1
    elif name.endswith(("seats", "quantity", "count", "periods")) or "seats" in name:
        value = 3
    elif name in ("exp_month",):
        value = 12
    elif name in ("exp_year",):
        value = 2029
    elif "days" in name:
        value = 14
    else:
        value = 10
    least, greatest = schema.get("minimum"), schema.get("maximum")
    if least is not None and value < least:
        value = least
    if greatest is not None and value > greatest:
        value = greatest
    return int(value) if integer else value


def _string(schema: dict, name: str) -> str:
    form = schema.get("format")
    if form == "date-time":
        return "2026-11-21T10:00:00Z"
    if form == "date":
        return "2026-11-21"
    if form == "uri":
        return STRINGS.get(name, "https://billing.example.com/api/v1/invoices?cursor=WzAsZmFsc2UsIjQyIl0&limit=25")
    if form == "email":
        return "billing@acme.example"
    pattern = schema.get("pattern")
    if form == "decimal" or (pattern and r"\d" in pattern):
        candidates = (DECIMALS.get(name, _DECIMAL_CANDIDATES[0]), *_DECIMAL_CANDIDATES)
    else:
        candidates = (_subject.get(name) or STRINGS.get(name, name.replace("_", "-") or "example"), "example", "x")
    for candidate in candidates:
        if _fits(candidate, schema):
            return candidate
    return candidates[-1][: schema.get("maxLength", 1)]


def _fits(value: str, schema: dict) -> bool:
    if len(value) > schema.get("maxLength", len(value)) or len(value) < schema.get("minLength", 0):
        return False
    pattern = schema.get("pattern")
    return not pattern or re.search(pattern, value) is not None


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name
