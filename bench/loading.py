"""SQL loading helpers for the benchmark scripts (import after ``django.setup()``)."""

from contextlib import contextmanager

from django.db import connection


def sql(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def copy_rows(table: str, columns: list[str], rows) -> None:
    """COPY ``rows`` (tuples in the order of ``columns``) into ``table``."""
    with connection.cursor() as cursor:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


@contextmanager
def column_defaults(*models):
    """While loading in SQL, give every NOT NULL column that has no database default the default
    of its model field, so that columns added to the models later (and not named by the loader)
    get their proper value instead of failing the load; the defaults are dropped afterwards."""
    added = []
    for model in models:
        table = model._meta.db_table
        bare = {
            name
            for (name,) in sql(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
                [table],
            )
        }
        for field in model._meta.concrete_fields:
            if field.column in bare and (field.has_default() or field.empty_strings_allowed):
                value = field.get_db_prep_save(field.get_default(), connection)
                # A literal, not a parameter: DDL takes none when the server binds them.
                with connection.schema_editor() as editor:
                    literal = editor.quote_value(value)
                sql(f'ALTER TABLE "{table}" ALTER COLUMN "{field.column}" SET DEFAULT {literal}')
                added.append((table, field.column))
    try:
        yield
    finally:
        for table, column in added:
            sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" DROP DEFAULT')


@contextmanager
def indexes_built_after(*tables: str):
    """Drop the secondary indexes of ``tables`` and build them again afterwards (as pg_restore
    does): one sorted build per index is much faster than millions of inserts into each."""
    found = sql(
        """
        SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)
        AND indexname NOT IN (SELECT conname FROM pg_constraint)
        """,
        [list(tables)],
    )
    for name, _ in found:
        sql(f'DROP INDEX "{name}"')
    yield
    for _, definition in found:
        sql(definition)
