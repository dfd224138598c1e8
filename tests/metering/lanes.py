"""Calling a fast lane (billing/api/fastlane.py) as the web server does, and telling who answered."""

import io
import json

from django.core.handlers.wsgi import WSGIHandler


class CountingDjango:
    """Django's WSGI handler, counting the requests that reached it."""

    def __init__(self):
        self.handler, self.calls = WSGIHandler(), 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


def wsgi_call(app, key, body, path, method="POST", **headers):
    """(status code, headers, decoded body) of one request through `app`."""
    status, headers, content = wsgi_raw(app, key, body, path, method, **headers)
    return status, dict(headers), json.loads(content) if content else None


def wsgi_raw(app, key, body, path, method="POST", **headers):
    """(status code, header pairs as sent, body bytes) of one request through `app`."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(payload)),
               "wsgi.input": io.BytesIO(payload), "wsgi.errors": io.StringIO(), "REMOTE_ADDR": "127.0.0.1",
               "HTTP_AUTHORIZATION": f"Bearer {key}", **headers}
    answer = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = int(status.split()[0]), list(headers)

    content = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], content
