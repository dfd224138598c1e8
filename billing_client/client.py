"""HTTP calls to the billing API (keep-alive connection per thread, short timeouts)."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit


class BillingClientError(Exception):
    def __init__(self, status: int, body):
        super().__init__(f"billing API answered {status}: {body}")
        self.status, self.body = status, body


@dataclass(frozen=True)
class QuotaDecision:
    allowed: bool
    metric: str
    usage: str | None = None
    limit: int | None = None
    remaining: str | None = None
    cap_mode: str | None = None
    period_end: str | None = None
    retry_after: int | None = None  # seconds, when refused
    unavailable: bool = False  # the billing API did not answer (decision = fail_open)

    @classmethod
    def from_body(cls, body: dict, retry_after: str | None) -> QuotaDecision:
        return cls(allowed=body["allowed"], metric=body["metric"], usage=body.get("usage"),
                   limit=body.get("limit"), remaining=body.get("remaining"), cap_mode=body.get("cap_mode"),
                   period_end=body.get("period_end"), retry_after=int(retry_after) if retry_after else None)


class BillingClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 0.5, fail_open: bool = True):
        parts = urlsplit(base_url.rstrip("/"))
        self._https = parts.scheme == "https"
        self._host = parts.netloc
        self._prefix = parts.path + "/api/v1"
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.timeout = timeout
        self.fail_open = fail_open
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            connection = self._local.connection = kind(self._host, timeout=self.timeout)
            self._opened.append(connection)
        return connection

    def close(self) -> None:
        """Close every keep-alive connection this client opened (any thread)."""
        for connection in self._opened:
            connection.close()
        self._opened.clear()

    def request(self, method: str, path: str, body=None, headers: dict | None = None):
        """(status, decoded JSON body, response headers); one reconnect on a dropped keep-alive."""
        payload = None if body is None else json.dumps(body, default=str).encode()
        for attempt in range(2):
            connection = self._connection()
            try:
                connection.request(method, self._prefix + path, body=payload, headers={**self._headers,
                                                                                       **(headers or {})})
                response = connection.getresponse()
                data = response.read()
                return response.status, (json.loads(data) if data else None), dict(response.getheaders())
            except (http.client.HTTPException, ConnectionError, OSError):
                connection.close()
                self._local.connection = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def _account(self, account_id, external_customer_id) -> dict:
        if account_id is not None:
            return {"account_id": account_id}
        if external_customer_id is not None:
            return {"external_customer_id": external_customer_id}
        return {}

    def check(self, metric: str, quantity=1, *, account_id=None, external_customer_id=None) -> QuotaDecision:
        """May the account use `quantity` more units now? Never raises for a network failure:
        answers `fail_open` with `unavailable=True`."""
        body = {"metric": metric, "quantity": str(quantity), **self._account(account_id, external_customer_id)}
        try:
            status, data, headers = self.request("POST", "/quotas/check", body)
        except OSError:
            return QuotaDecision(allowed=self.fail_open, metric=metric, unavailable=True)
        if status != 200:
            raise BillingClientError(status, data)
        return QuotaDecision.from_body(data, headers.get("Retry-After"))

    def consume(self, metric: str, quantity=1, *, idempotency_key: str | None = None, account_id=None,
                external_customer_id=None, properties: dict | None = None) -> QuotaDecision:
        """Check and record at once (hard caps). Refused: allowed=False with retry_after."""
        body = {"metric": metric, "quantity": str(quantity), "idempotency_key": idempotency_key or uuid.uuid4().hex,
                "properties": properties or {}, **self._account(account_id, external_customer_id)}
        status, data, headers = self.request("POST", "/quotas/consume", body)
        if status == 429:
            return QuotaDecision.from_body(data["quota"], headers.get("Retry-After"))
        if status != 200:
            raise BillingClientError(status, data)
        return QuotaDecision.from_body(data, None)

    def send_events(self, events: list[dict]) -> dict:
        """Send up to 1,000 events at once; returns {"accepted", "duplicates", "rejected"}."""
        status, data, _ = self.request("POST", "/usage/events", {"events": events})
        if status not in (202, 422):
            raise BillingClientError(status, data)
        return data
