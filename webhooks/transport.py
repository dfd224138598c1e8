"""One HTTP POST of a webhook: to the address checked (webhooks/addresses.py), no redirects, a time limit.

urllib3, which `requests` (the Stripe SDK's transport) is built on, lets us connect to the address we
checked while still sending the endpoint's own host name in `Host` and in TLS (SNI and the
certificate check), which `requests` cannot; so a name cannot resolve to one address for the check
and another for the connection.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

from webhooks import conf
from webhooks.addresses import DEFAULT_PORTS, AddressRefused, resolve

EXCERPT_BYTES = 1000
USER_AGENT = "billing-platform-webhooks/1"


@dataclass(frozen=True)
class Answer:
    """What one attempt got: a status (None when no answer came), how long it took, what was said."""

    status: int | None
    latency_ms: int
    excerpt: str = ""
    error: str = ""
    retry_after: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        scheme, host, port, address = resolve(url)
    except AddressRefused as exc:
        return Answer(None, took(), error=str(exc))
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if ":" in host and port == DEFAULT_PORTS[scheme]:
        host_header = f"[{host}]"
    elif ":" in host:
        host_header = f"[{host}]:{port}"
    timeout = urllib3.Timeout(total=conf.settings.WEBHOOK_TIMEOUT_SECONDS)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, port, server_hostname=host, assert_hostname=host,
                                           timeout=timeout, retries=False, maxsize=1)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Host": host_header, **headers}
    try:
        response = pool.urlopen("POST", target, body=body, headers=sent, redirect=False, retries=False,
                                preload_content=False, assert_same_host=False)
        try:
            excerpt = response.read(EXCERPT_BYTES, decode_content=False)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        return Answer(None, took(), error=_error_text(exc))
    finally:
        pool.close()
    return Answer(response.status, took(), excerpt=excerpt.decode("utf-8", "replace"),
                  retry_after=response.headers.get("Retry-After"))


def _error_text(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(exc, urllib3.exceptions.TimeoutError) or isinstance(reason, urllib3.exceptions.TimeoutError):
        return f"no answer within {conf.settings.WEBHOOK_TIMEOUT_SECONDS} s"
    return f"{type(reason).__name__}: {reason}"[:500]
