"""Writing many rows of one model at once, for set-based jobs."""

from __future__ import annotations

from django.db import transaction


def _enforce_context(model) -> None:
    """What the models' RLS query sets check before they touch the database (django-rls)."""
    check = getattr(model._default_manager.all(), "_enforce_context", None)
    if check is not None:
        check()


def rows_update(objects, names: list[str]) -> None:
    """UPDATE the `names` fields of each object's row by primary key, the statements sent together
    (psycopg's pipelined executemany): Django's bulk_update builds a CASE per field and row, which
    costs more than the work itself. Values are prepared by the fields, as save() prepares them."""
    if not objects:
        return
    model = type(objects[0])
    _enforce_context(model)
    connection = transaction.get_connection()  # the connection itself, not the per-access proxy
    fields = [model._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


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
