"""`field__any=[...]`: `field = ANY(%s)` with the values as one array parameter.

For set-based jobs that filter by a chunk's ids (the bill run: 200 subscriptions, accounts,
invoices). `field__in` sends one placeholder per value: with more than 50 of them psycopg
no longer caches the query's parsing and splits the whole SQL text in Python on every
execution, and Django prepares each value as a lookup of its own. One array parameter is
one placeholder. Same rows as `__in`; an empty list matches nothing and, as with `__in=[]`,
a query that can then return nothing is not sent.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        target = self._target()
        if self._integers(target):
            # The array as its text, typed in the SQL: psycopg's list adapter is a Python loop per value.
            return "%s", ["{" + ",".join(str(int(v)) for v in value) + "}"]
        return "%s", [[target.get_db_prep_value(v, connection, prepared=False) for v in value]]

    def as_sql(self, compiler, connection):
        if not self.rhs:  # as `__in=[]`: no row, and no query when nothing else could match
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        target = self._target()
        if self._integers(target):
            rhs = f"{rhs}::{target.rel_db_type(connection)}[]"
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]

    def _target(self):
        field = self.lhs.output_field
        return getattr(field, "target_field", field)  # a foreign key: its target's type

    @staticmethod
    def _integers(target) -> bool:
        return target.get_internal_type() in _INTEGER_FIELDS


_INTEGER_FIELDS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                   "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField"}


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # relations list their own lookups, not Field's
