"""Usage ingestion's fast lane: `POST /api/v1/usage/events` stored from the WSGI layer, before Django.

Why: a batch of 1,000 events costs about 9 ms of CPU in the web process, and Django's
middleware, DRF, authentication through PostgreSQL and the throttle took about 2 ms
of it, with two more database round trips (docs/performance.md). Here the key comes
from the authenticated-key cache and one Lua script confirms it and counts the throttle
(`billing.api.fastlane`); decoding, validation and the exactly-once write are the
ingestion service's, as on the full path.

The lane answers 202 only. Before anything is written (a key not cached or without
the `usage:write` scope, a throttled key, an Idempotency-Key, a body the decoder
refuses, metering switched off, Redis down) the request goes to Django untouched. A
batch in which no event was valid wrote nothing and goes to Django too, which answers
422 as always. An error once writing has begun also goes to Django: the write is
exactly once, so Django's attempt stores what the lane's did not, and acknowledges
what it did as duplicates.

Around the service (`usage_batch_store`, the one the full path's `usage_events_ingest`
calls once it has decoded the body), the lane takes the request pipeline's steps that
Django's handler, the middleware and the authentication take for this view
(`billing.api.pipeline`): the request signals (which recycle database connections), the
request id, the key's tenancy scope and actor (labelled with the key's name, as on the
full path), and their reset.
"""

from __future__ import annotations

import msgspec
from django.core import signals
from prometheus_client import Counter

from billing import conf as billing_conf
from billing.api import pipeline
from billing.api.fastlane import FastLane, Miss
from billing.context import set_request_id
from billing.errors import BillingError
from metering import conf
from metering.api.ingest import UsageEventsIngestView, ingest_answer
from metering.ingest.decode import decode_body, max_body_bytes
from metering.services import usage_batch_store

PATH = "/api/v1/usage/events"
ANSWERS = Counter("metering_ingest_fast_lane_total", "Usage event batches by how they were answered", ["lane"])

_CONFIRM = """
-- KEYS: cached key entry, throttle; ARGV: the entry as this process knows it, throttle TTL.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local count = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return {count}
"""


class IngestFastLane(FastLane):
    path, view, script = PATH, UsageEventsIngestView, _CONFIRM
    fast, django = ANSWERS.labels("fast"), ANSWERS.labels("django")

    @property
    def max_body(self) -> int:
        return max_body_bytes()  # the view's own limit: a larger body goes to Django, which answers 413

    def enabled(self) -> bool:
        return super().enabled() and billing_conf.feature_enabled("usage_metering")

    def answer(self, environ, body):
        entry_key, entry, api_key = self.cached_key(environ, "usage:write")
        try:
            decoded, rejected = decode_body(body, max_batch=conf.settings.METERING_MAX_BATCH)
        except BillingError:
            raise Miss from None  # a body refused as a whole: Django names the field
        self.run_script(entry_key, entry, api_key.id, [], [])
        signals.request_started.send(sender=type(self), environ=environ)
        identifier = pipeline.request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        set_request_id(identifier)
        try:
            pipeline.api_key_enter(key_id=api_key.id, account_id=api_key.account_id, label=api_key.label,
                                   ip_address=environ.get("REMOTE_ADDR"))
            result = usage_batch_store(decoded=decoded, rejected=rejected, key_account_id=api_key.account_id,
                                       count_refused=False)
        finally:
            pipeline.request_leave()
            signals.request_finished.send(sender=type(self))
        body, status = ingest_answer(result)
        if status != 202:
            raise Miss  # nothing was valid, so nothing was written: Django answers the 422
        payload = msgspec.json.encode(body)
        return "202 Accepted", self.headers(environ, payload, identifier=identifier), payload
