import logging

from billing.context import request_id


class RequestIdFilter(logging.Filter):
    """Adds the current request id (or '-') to every log record."""

    def filter(self, record):
        record.request_id = request_id() or "-"
        return True
