"""Writing many rows of one model at once, for set-based jobs."""

from __future__ import annotations

from django.db import connection


def rows_update(objects, names: list[str]) -> None:
    """UPDATE the `names` fields of each object's row by primary key, the statements sent together
    (psycopg's pipelined executemany): Django's bulk_update builds a CASE per field and row, which
    costs more than the work itself. Values are prepared by the fields, as save() prepares them."""
    if not objects:
        return
    model = type(objects[0])
    fields = [model._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    rows = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk] for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
