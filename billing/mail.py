"""The mail backend `advance_clock --run-jobs` puts in front of the configured one while it runs jobs.

It counts what the jobs send, so the command can print one line per job with its count, and sends
through the configured backend, except the console backend (the development default), whose full
message bodies would bury the command's own lines: with it, a message is only counted.
"""

from __future__ import annotations

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

CONSOLE = "django.core.mail.backends.console.EmailBackend"


class CountingBackend(BaseEmailBackend):
    wrapped = ""  # the configured backend's dotted path, set by `counting()`
    sent = 0

    def send_messages(self, email_messages) -> int:
        messages = list(email_messages)
        CountingBackend.sent += len(messages)
        if not messages or not self.wrapped or self.wrapped == CONSOLE:
            return len(messages)
        return get_connection(self.wrapped, fail_silently=self.fail_silently).send_messages(messages)


class counting:  # noqa: N801 (a context manager, used like a function)
    """Route Django's email through `CountingBackend` for the duration of the block."""

    def __enter__(self) -> type[CountingBackend]:
        from django.conf import settings

        self.original = settings.EMAIL_BACKEND
        CountingBackend.wrapped, CountingBackend.sent = self.original, 0
        settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
        return CountingBackend

    def __exit__(self, *exc) -> None:
        from django.conf import settings

        settings.EMAIL_BACKEND = self.original
