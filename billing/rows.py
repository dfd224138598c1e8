"""Writing many rows of one model at once, for set-based jobs."""

from __future__ import annotations

import json
import zlib

from django.db import transaction


def _enforce_context(model) -> None:
    """What the models' RLS query sets check before they touch the database (django-rls)."""
    check = getattr(model._default_manager.all(), "_enforce_context", None)
    if check is not None:
        check()


def rows_update(objects, names: list[str]) -> None:
    """UPDATE the `names` fields of each object's row by primary key, all rows in one statement
    (`rows_copy_update`): Django's bulk_update builds a CASE per field and row, and one UPDATE per
    row costs a round of parsing and planning each. Values are those save() would write (the
    attributes, as the caller set them), JSON encoded as the field encodes it."""
    if not objects:
        return
    model = type(objects[0])
    fields = [model._meta.get_field(name) for name in names]
    rows = [(obj.pk, *(_stored(f, getattr(obj, f.attname)) for f in fields)) for obj in objects]
    rows_copy_update(model, [f.attname for f in fields], rows)


def _stored(field, value):
    """A value as `rows_copy` sends it: JSON as text, file fields by name, the rest as they are."""
    if value is None:
        return None
    internal = field.get_internal_type()
    if internal == "JSONField":
        return json.dumps(value, cls=field.encoder)
    if internal == "FileField":
        return str(value)
    return value


def rows_insert(objects, batch_size: int = 1000) -> None:
    """INSERT unsaved objects of one model as multi-row `VALUES` lists, setting their primary keys
    (RETURNING, in row order, as bulk_create relies on too). What bulk_create writes, without its
    UNNEST of one array per column, whose text escaping of JSON values costs more than the insert.
    Foreign keys are taken from related objects saved meanwhile, as save() does."""
    if not objects:
        return
    model = type(objects[0])
    _enforce_context(model)
    connection = transaction.get_connection()  # the connection itself, not the per-access proxy
    opts = model._meta
    fields = [f for f in opts.local_concrete_fields if f is not opts.pk and not getattr(f, "generated", False)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table, pk = connection.ops.quote_name(opts.db_table), connection.ops.quote_name(opts.pk.column)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for start in range(0, len(objects), batch_size):
        batch = objects[start:start + batch_size]
        rows = []
        for obj in batch:
            obj._prepare_related_fields_for_save(operation_name="rows_insert")
            rows.append([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
        with connection.cursor() as cursor:
            mogrify = getattr(cursor.cursor, "mogrify", None)
            if mogrify is not None:
                # psycopg's client-side binding: each row quoted with the same short (cached) query,
                # rather than one query string with tens of thousands of placeholders to parse.
                values = ", ".join(mogrify(placeholder, row) for row in rows)
                cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING {pk}")  # noqa: S608
            else:
                cursor.execute(f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                               f"{', '.join([placeholder] * len(batch))} RETURNING {pk}",
                               [value for row in rows for value in row])
            for obj, (value,) in zip(batch, cursor.fetchall(), strict=True):
                setattr(obj, opts.pk.attname, value)
                obj._state.adding = False
                obj._state.db = connection.alias


# Column types a binary COPY can send as they are; any other column is staged as text and cast.
_COPY_TYPES = {"bigint", "integer", "smallint", "boolean", "timestamp with time zone", "date", "numeric", "text",
               "double precision", "uuid"}


def _staged_type(db_type: str) -> str:
    base = db_type.split("(")[0].strip()
    return base if base in _COPY_TYPES else "text"


def _from_stage(name: str, db_type: str) -> str:
    """The staged column as the target column takes it: strings by assignment (an over-long value
    is an error, as in a plain INSERT, where an explicit cast to varchar(n) would cut it), text
    stand-ins (jsonb, inet) cast."""
    base = db_type.split("(")[0].strip()
    if _staged_type(db_type) != "text" or base in ("varchar", "char", "text"):
        return name
    return f"{name}::{db_type}"


def ids_take(*wanted: tuple) -> list[list[int]]:
    """For each (model, count): that many primary keys from the table's own sequence, ascending,
    taken before the rows are written (in one statement for all), so the caller builds rows that
    reference them (an invoice's lines) in one go."""
    parts, params = [], []
    for i, (model, count) in enumerate(wanted):
        if count > 0:
            # The sequence looked up once per table, not once per row.
            parts.append("SELECT %s, nextval(q.seq) FROM (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq) "
                         "AS q, generate_series(1, %s)")
            params += [i, model._meta.db_table, model._meta.pk.column, count]
    taken: list[list[int]] = [[] for _ in wanted]
    if parts:
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for i, value in cursor.fetchall():
                taken[i].append(value)
    return [sorted(ids) for ids in taken]


def _stage(cursor, stage: str, names: list[str], staged: list[str], rows: list[tuple]) -> None:
    """The rows, by binary COPY, into a temporary staging table made on first use: it lives as long as
    the connection, its rows as long as the transaction."""
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} "  # noqa: S608
                   f"({', '.join(f'{n} {t}' for n, t in zip(names, staged, strict=True))}) "
                   "ON COMMIT DELETE ROWS")
    with cursor.cursor.copy(f"COPY {stage} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:  # noqa: S608
        copy.set_types(staged)
        for row in rows:
            copy.write_row(row)


def rows_copy(model, columns: list[str], rows: list[tuple]) -> None:
    """INSERT plain tuples (values of `columns`, attnames, in that order) into the model's table, with
    no model instance: a binary COPY into a temporary staging table, then one INSERT ... SELECT.
    PostgreSQL refuses COPY into a table with row-level security; the INSERT passes its WITH CHECK
    like any other. The other concrete columns get the field's default (auto_now(_add): now).
    Values must already be what the column stores: JSON as encoded text, choices as str."""
    if not rows:
        return
    _enforce_context(model)
    connection = transaction.get_connection()
    opts = model._meta
    given = set(columns)
    fields = [opts.get_field(name) for name in columns]
    rest = [f for f in opts.local_concrete_fields
            if f.attname not in given and f is not opts.pk and not getattr(f, "generated", False)]
    if rest:
        from django.utils import timezone

        now = timezone.now()
        tail = tuple(now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                     else f.get_default() for f in rest)
        rows = [row + tail for row in rows]
        fields += rest
    quote = connection.ops.quote_name
    db_types = [f.db_type(connection) for f in fields]
    staged = [_staged_type(t) for t in db_types]
    names = [quote(f.column) for f in fields]
    stage = quote(f"stage_{opts.db_table}_{zlib.crc32(','.join(names).encode()):08x}")
    table = quote(opts.db_table)
    with connection.cursor() as cursor:
        _stage(cursor, stage, names, staged, rows)
        casts = ", ".join(_from_stage(n, t) for n, t in zip(names, db_types, strict=True))
        cursor.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {casts} FROM {stage}; "  # noqa: S608
                       f"DELETE FROM {stage}")


def rows_copy_update(model, columns: list[str], rows: list[tuple]) -> None:
    """UPDATE by primary key from plain tuples (the pk first, then the values of `columns`), through
    the same staging as `rows_copy`: one UPDATE ... FROM for all rows, under row-level security."""
    if not rows:
        return
    _enforce_context(model)
    connection = transaction.get_connection()
    opts = model._meta
    fields = [opts.pk] + [opts.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    db_types = [f.rel_db_type(connection) if f is opts.pk else f.db_type(connection) for f in fields]
    staged = [_staged_type(t) for t in db_types]
    names = [quote(f.column) for f in fields]
    stage = quote(f"stage_u_{opts.db_table}_{zlib.crc32(','.join(names).encode()):08x}")
    table = quote(opts.db_table)
    with connection.cursor() as cursor:
        _stage(cursor, stage, names, staged, rows)
        sets = ", ".join(f"{n} = {_from_stage(f's.{n}', t)}" for n, t in zip(names[1:], db_types[1:], strict=True))
        # The keys again as an array: with them the table is read through its primary key; joined
        # to the staging table alone (no statistics), the planner scanned the whole table each time.
        cursor.execute(f"UPDATE {table} AS t SET {sets} FROM {stage} AS s "  # noqa: S608
                       f"WHERE t.{names[0]} = s.{names[0]} AND t.{names[0]} = ANY(%s); DELETE FROM {stage}",
                       [[row[0] for row in rows]])
