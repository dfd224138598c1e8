"""State changes: one transition table per stateful model, one `transition()`, one row lock.

A `TransitionTable` says, for one model, which states a new row may start in and which
states each state may move to. `transition()` is the one way a row's state changes: it
locks the row, re-checks the state in the database against the table, writes the change,
an audit entry and (when given) an outbox event in the caller's transaction, then runs
the reactions other apps registered for that move (`on_transition`), in the same
transaction. Set-based jobs take the same decision row by row with the pure
`TransitionTable.move()` (the fields to write, or `TransitionRefused`) and keep only
their multi-row writing (`moves_write`).

The actor and request id of the audit entry come from `billing.context`, as for every
audit entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction

from billing.errors import InvalidTransition, NotFound

Picture = Callable[[models.Model], dict]
Reaction = Callable[[models.Model, "Move"], None]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


class TransitionRefused(InvalidTransition):
    """The model's transition table does not allow this state change (HTTP 409)."""

    def __init__(self, table: TransitionTable, from_state: str, to_state: str, *, verb: str | None = None):
        name, from_state, to_state = table.name, str(from_state), str(to_state)
        if from_state == "":
            message = f"{_article(name).capitalize()} {name} cannot start as {to_state}."
        elif verb:
            message = (f"Cannot {verb} {_article(name)} {name} that is {from_state} "
                       f"(from {from_state} to {to_state} is not allowed).")
        else:
            message = f"{_article(name).capitalize()} {name} that is {from_state} cannot become {to_state}."
        super().__init__(message, fields={table.field: [from_state]})
        self.table, self.from_state, self.to_state = table, from_state, to_state


@dataclass(frozen=True)
class Move:
    """A change the table allowed: the state it leaves, the state it enters, the other fields it writes."""

    table: TransitionTable
    from_state: str
    to_state: str
    changes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fields(self) -> list[str]:
        return [self.table.field, *self.changes]

    def apply(self, obj: models.Model) -> None:
        """Set the new state and fields on the object in memory (the caller writes it)."""
        setattr(obj, self.table.field, self.to_state)
        for name, value in self.changes.items():
            setattr(obj, name, value)
        obj.__dict__["_applied_move"] = self


_TABLES: dict[type[models.Model], TransitionTable] = {}


class TransitionTable:
    """From-state -> allowed to-states for one model's state field, and the states a row may start in.

    A state listed among its own targets may be written again with other fields changed (a second
    partial refund keeps a payment `partially_refunded`); any other unlisted move is refused.
    `picture` is what the audit entry records before and after (default: the whole row).
    """

    def __init__(self, model: type[models.Model], moves: Mapping[str, Collection[str]], *,
                 initial: Collection[str], field: str = "status", picture: Picture | None = None,
                 name: str | None = None):
        choices = {str(value) for value, _ in model._meta.get_field(field).choices}
        states = {str(state) for state in moves}
        if states != choices:
            raise ImproperlyConfigured(f"{model.__name__}.{field}: the table's states {sorted(states)} are not the "
                                       f"field's choices {sorted(choices)}")
        unknown = {str(t) for targets in moves.values() for t in targets} | {str(s) for s in initial}
        if not unknown <= states:
            raise ImproperlyConfigured(f"{model.__name__}.{field}: unknown states {sorted(unknown - states)}")
        self.model, self.field = model, field
        self.name = name or str(model._meta.verbose_name)
        self.moves: dict[str, frozenset[str]] = {str(s): frozenset(str(t) for t in ts) for s, ts in moves.items()}
        self.initial = frozenset(str(s) for s in initial)
        self._picture = picture
        _TABLES[model] = self

    def __repr__(self) -> str:
        return f"<TransitionTable {self.model._meta.label}.{self.field}>"

    @property
    def states(self) -> list[str]:
        return list(self.moves)

    def allows(self, from_state: str, to_state: str) -> bool:
        return to_state in self.moves.get(from_state, ())

    def check(self, from_state: str, to_state: str, *, from_: Collection[str] | None = None,
              verb: str | None = None) -> None:
        """Refuse (TransitionRefused) a move the table does not allow, or that leaves a state other than
        `from_` (the states an action starts from, when it takes only some of the moves to `to_state`)."""
        if (from_ is not None and from_state not in from_) or not self.allows(from_state, to_state):
            raise TransitionRefused(self, from_state, to_state, verb=verb)

    def move(self, obj: models.Model, to_state: str, *, from_: Collection[str] | None = None,
             verb: str | None = None, **changes) -> Move:
        """Pure: the move of `obj` (its state as read) to `to_state` with `changes`, or TransitionRefused."""
        from_state = getattr(obj, self.field)
        self.check(from_state, to_state, from_=from_, verb=verb)
        return Move(self, str(from_state), str(to_state), changes)

    def start(self, state: str) -> str:
        """The state a new row is created in, if the table lets a row start there."""
        if state not in self.initial:
            raise TransitionRefused(self, "", state)
        return state

    def picture(self, obj: models.Model) -> dict:
        if self._picture is not None:
            return self._picture(obj)
        from billing.audit import snapshot

        return snapshot(obj)


def table_for(model: type[models.Model]) -> TransitionTable | None:
    return _TABLES.get(model)


def tables() -> list[TransitionTable]:
    return list(_TABLES.values())


def fields_picture(*names: str) -> Picture:
    """An audit picture of only these fields (and the id)."""

    def picture(obj: models.Model) -> dict:
        from billing.audit import snapshot

        return snapshot(obj, list(names))

    return picture


# --- the one row lock ----------------------------------------------------------------------------------------

def row_lock(model: type[models.Model], obj_or_pk: models.Model | int | None = None, *,
             related: Collection[str] = (), skip_locked: bool = False, required: bool = True,
             **where) -> Any:
    """The row of `model` (by instance or primary key, and/or `where`) read afresh and locked FOR UPDATE
    until the caller's transaction ends. Only this table's row is locked, even with `related` rows
    joined (locking the account too blocked every writer referencing it). Missing (or held by another
    worker, with `skip_locked`): NotFound, or None when not `required`."""
    if obj_or_pk is not None:
        where["pk"] = obj_or_pk.pk if isinstance(obj_or_pk, models.Model) else obj_or_pk
    rows = model._default_manager.select_for_update(of=("self",), skip_locked=skip_locked)
    if related:
        rows = rows.select_related(*related)
    found = rows.filter(**where).first()
    if found is None and required:
        raise NotFound(f"No such {model._meta.verbose_name}.")
    return found


# --- the one transition --------------------------------------------------------------------------------------

def transition(obj_or_pk: models.Model | int, to: str, *, table: TransitionTable | None = None,
               from_: Collection[str] | None = None, verb: str | None = None, action: str | None = None,
               reason: str | None = None, before: dict | None = None, audit: dict | None = None,
               event: str | None = None, payload: dict | Callable[[Any], dict] | None = None,
               changes: Mapping[str, Any] | None = None, related: Collection[str] = ()) -> Any:
    """Move one row to `to`, in the caller's transaction: lock it, re-check its state in the database
    against its table, write the state and `changes`, an audit entry (`action`, default
    `<model>.<to>`; `before` defaults to the table's picture now; `audit` and `reason` are added to
    the picture after) and the outbox event `event` (payload: a dict, or built from the object after
    the change), then run the reactions registered for the move.

    Given an instance, the caller locked it with `row_lock` in this transaction (so the other fields it
    writes are current) and may have changed fields in memory; its state must still be the one in the
    database, so a copy read before another state change is refused rather than written over.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition() must run inside the caller's transaction")
    if isinstance(obj_or_pk, models.Model):
        obj = obj_or_pk
        table = table or _TABLES.get(type(obj))
        if table is None:
            raise ImproperlyConfigured(f"{type(obj).__name__} has no transition table")
        current = (table.model._default_manager.select_for_update(of=("self",)).filter(pk=obj.pk)
                   .values_list(table.field, flat=True).first())
        if current is None:
            raise NotFound(f"No such {table.name}.")
        if current != getattr(obj, table.field):
            raise TransitionRefused(table, current, to, verb=verb)  # changed since the caller read it
    else:
        if table is None:
            raise TypeError("transition() needs the table when given a primary key")
        obj = row_lock(table.model, obj_or_pk, related=related)
    move = table.move(obj, to, from_=from_, verb=verb, **(changes or {}))
    picture_before = table.picture(obj) if before is None else before
    move.apply(obj)
    obj.save()
    after = table.picture(obj)
    if audit or reason is not None:
        after = {**after, **(audit or {}), **({"reason": reason} if reason is not None else {})}
    from billing.audit import audit_record
    from billing.outbox import event_record

    audit_record(action=action or f"{table.model._meta.model_name}.{to}", instance=obj, before=picture_before,
                 after=after)
    if event:
        body = payload(obj) if callable(payload) else (payload or {})
        event_record(type=event, account_id=getattr(obj, "account_id", None), payload=body)
    reactions_run(obj, move)
    return obj


def moves_write(objects: list[models.Model], fields: list[str]) -> None:
    """The set-based twin of `transition()`'s write: `fields` of many rows in one statement, each
    row's state set by a `Move` its table allowed (`TransitionTable.move(...).apply(obj)`).
    The caller locked the rows, and writes their audit entries and events set-based too."""
    for obj in objects:
        move = obj.__dict__.get("_applied_move")
        if move is None or getattr(obj, move.table.field) != move.to_state:
            raise RuntimeError(f"{type(obj).__name__} {obj.pk}: its state was not set by a move of its table")
    from billing.rows import rows_update

    rows_update(objects, fields)


# --- reactions -----------------------------------------------------------------------------------------------

_REACTIONS: dict[tuple[type[models.Model], str], list[Reaction]] = defaultdict(list)


def on_transition(table: TransitionTable, *, to: str | Collection[str]):
    """Register `func(obj, move)` to run inside the transaction of every move of `table` into `to`
    (a state actually changed; bulk paths call `reactions_run` for the rows they moved). For an app
    that must react to another's state change at once, without the other importing it: payments
    closes dunning when invoicing marks an invoice paid. Apps register in their AppConfig.ready()."""
    states = [to] if isinstance(to, str) else list(to)

    def register(func: Reaction) -> Reaction:
        for state in states:
            if func not in _REACTIONS[(table.model, str(state))]:
                _REACTIONS[(table.model, str(state))].append(func)
        return func

    return register


def reactions_run(obj: models.Model, move: Move) -> None:
    if move.from_state == move.to_state:
        return
    for func in _REACTIONS.get((move.table.model, move.to_state), []):
        func(obj, move)


def moves_react(objects) -> None:
    """The reactions to the moves applied to these objects (`Move.apply`), once a set-based job has
    written them: what `transition()` runs after each single write. Objects not moved are skipped."""
    for obj in objects:
        move = obj.__dict__.get("_applied_move")
        if move is not None:
            reactions_run(obj, move)
