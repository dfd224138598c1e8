"""A local HTTP receiver for webhook tests: a thread serving 127.0.0.1, answering from a script of replies
and keeping every request it got (headers and the body's bytes, as a receiver verifies them)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    replies: list[tuple[int, dict[str, str], bytes, float]] = field(default_factory=list)

    def answer(self, status: int, body: bytes = b"", delay: float = 0.0, **headers: str) -> None:
        """The next request gets this reply, after `delay` seconds (once the script runs out: 200 OK)."""
        self.replies.append((status, {name.replace("_", "-"): value for name, value in headers.items()}, body,
                             delay))


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        status, headers, reply, delay = self.receiver.replies.pop(0) if self.receiver.replies else (
            200, {}, b"ok", 0.0)
        time.sleep(delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format, *args):  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a TLS handshake sent to it, a client that gave up: the test looks at what the sender saw


def serve():
    """(Receiver, stop): a receiver listening on a free port of 127.0.0.1."""
    server = _Server(("127.0.0.1", 0), _Handler)
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks/billing")
    server.RequestHandlerClass = type("Handler", (_Handler,), {"receiver": receiver})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return receiver, stop
