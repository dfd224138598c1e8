"""Who is acting and under which request id: read by the audit log and the logs."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    type: str  # billing.models.audit.ActorType
    id: str = ""
    label: str = ""
    ip_address: str | None = None


SYSTEM = Actor(type="system", label="system")
_actor: ContextVar[Actor] = ContextVar("billing_actor", default=SYSTEM)
_request_id: ContextVar[str] = ContextVar("billing_request_id", default="")
# Why a person acts (the reason typed on an admin confirmation page): stored on each audit entry written meanwhile.
_reason: ContextVar[str] = ContextVar("billing_audit_reason", default="")


def current_actor() -> Actor:
    return _actor.get()


def set_actor(actor: Actor) -> None:
    _actor.set(actor)


@contextmanager
def acting_as(actor: Actor):
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def user_actor(user, ip_address: str | None = None) -> Actor:
    return Actor(type="user", id=str(user.pk), label=user.get_username(), ip_address=ip_address)


def request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> None:
    _request_id.set(value)


def audit_reason() -> str:
    return _reason.get()


@contextmanager
def giving_reason(reason: str):
    """Every audit entry recorded inside carries `reason` (an admin action's typed reason)."""
    token = _reason.set((reason or "").strip()[:500])
    try:
        yield
    finally:
        _reason.reset(token)
