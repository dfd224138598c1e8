"""Structured logs carry the request id of the request they were written in."""

import json
import logging

from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from billing.context import set_request_id
from billing.logging import RequestIdFilter


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("billing", logging.INFO, __file__, 1, "invoice finalized", None, None)
    set_request_id("req-abcdef12")
    try:
        RequestIdFilter().filter(record)
    finally:
        set_request_id("")
    line = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s").format(record)
    assert json.loads(line)["request_id"] == "req-abcdef12"


def test_outside_a_request_the_request_id_is_a_dash():
    record = logging.LogRecord("billing", logging.INFO, __file__, 1, "job", None, None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"


def test_a_request_logs_under_its_own_id(caplog, db):
    caplog.set_level(logging.WARNING, logger="django.request")
    for handler in [caplog.handler]:
        handler.addFilter(RequestIdFilter())
    response = Client().get("/console/no-such-page/", HTTP_X_REQUEST_ID="req-log-12345")
    assert response.status_code == 404
    assert any(getattr(r, "request_id", None) == "req-log-12345" for r in caplog.records)
