"""Retrying a whole transaction that PostgreSQL chose as a deadlock (or serialization) victim.

PostgreSQL rolls the victim back entirely, so running it again is the documented
remedy. Only an outermost transaction is retried: inside another one, the error
belongs to the caller's transaction.
"""

from __future__ import annotations

import functools
import time

from django.db import OperationalError, transaction

RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def is_retryable(exc: BaseException) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def retry_on_deadlock(func=None, *, attempts: int = 3):
    def decorate(inner):
        @functools.wraps(inner)
        def wrapper(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                if transaction.get_connection().in_atomic_block:
                    return inner(*args, **kwargs)
                try:
                    return inner(*args, **kwargs)
                except OperationalError as exc:
                    if attempt == attempts or not is_retryable(exc):
                        raise
                    time.sleep(0.02 * attempt)
            raise AssertionError("unreachable")

        return wrapper

    return decorate(func) if func is not None else decorate
