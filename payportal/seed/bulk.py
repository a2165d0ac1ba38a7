"""Bulk inserts for the seed command: rows as tuples, no per-row ORM saves.

SQLite gets one ``executemany`` per table and batch on the raw connection;
PostgreSQL gets ``COPY ... FROM STDIN``. Both run inside the caller's
transaction, so a batch lands whole or not at all. Primary keys are handed
out before the insert (``reserve_ids``) so dependent rows (refunds,
chargebacks) can name their payment without reading it back.
"""

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from django.db import connection
from django.db.models import NOT_PROVIDED, Index, Model

from payportal.seed.data import DatetimeText

# COPY's text format: columns split by tabs, rows ended by line breaks,
# NULL written \N; any other backslash, tab or line break inside a value
# would need escaping.
_COPY_NULL = "\\N"


def columns_for(model: type[Model], names: Sequence[str]) -> list[str]:
    """The database columns for ``names`` (field names or attnames), after
    checking that no NOT NULL column without a default is left out (the
    insert would fail half-way through a load otherwise)."""
    fields = {f.name: f for f in model._meta.concrete_fields}
    fields.update({f.attname: f for f in model._meta.concrete_fields})
    given = {fields[name].attname for name in names}
    for field in model._meta.concrete_fields:
        required = not field.null and field.default is NOT_PROVIDED
        if required and not field.primary_key and field.attname not in given:
            auto = getattr(field, "auto_now", False) or getattr(
                field, "auto_now_add", False
            )
            if not auto:
                raise ValueError(f"{model.__name__}.{field.name} is required")
    return [fields[name].column for name in names]


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """``count`` primary keys nobody else will get, in increasing order."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite: the caller holds the write lock (an IMMEDIATE transaction),
        # so the next ids after the largest are ours.
        cursor.execute(f'SELECT MAX(id) FROM "{table}"')  # noqa: S608 - our table
        top = cursor.fetchone()[0] or 0
    return list(range(top + 1, top + 1 + count))


def datetime_text() -> DatetimeText:
    """The datetime writer for the current database."""
    return DatetimeText("+00" if connection.vendor == "postgresql" else "")


def insert_rows(
    model: type[Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``names``, values already in
    storage form: ``db_datetime`` text, JSON text, booleans as 0/1) into
    ``model``'s table in the current transaction."""
    if connection.vendor == "postgresql":
        copy_rows(model, names, copy_text(list(rows)))
        return
    table = model._meta.db_table
    columns = columns_for(model, names)
    quoted = ", ".join(f'"{column}"' for column in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'  # noqa: S608
    connection.ensure_connection()
    # The raw connection skips Django's per-row parameter handling.
    connection.connection.executemany(sql, rows)


def copy_text(rows: Sequence[Sequence[Any]]) -> bytes:
    """``rows`` (storage-form values, as for ``insert_rows``, all of one
    length) in COPY's text format, for ``copy_rows``. Made where the rows
    are made (the generator process), so the loading process only passes
    bytes on."""
    if not rows:
        return b""
    text = _joined(rows, str)
    # Generated values hold no tab, line break or backslash, so the plain
    # join is exact; checked on the whole text at once (fast), and any
    # other text takes the escaping path.
    clean = (
        text.count("\t") == len(rows) * (len(rows[0]) - 1)
        and text.count("\n") == len(rows)
        and "\r" not in text
        and "\\" not in text
    )
    if not clean:
        text = _joined(rows, _escaped)
    return text.replace("\0", _COPY_NULL).encode()


def _joined(rows: Sequence[Sequence[Any]], write: Callable[[Any], str]) -> str:
    # NULLs as NUL characters (no text in PostgreSQL can hold one), so
    # that any backslash left is a value's; copy_text makes them \N.
    return "".join(
        "\t".join(["\0" if value is None else write(value) for value in row]) + "\n"
        for row in rows
    )


def _escaped(value: Any) -> str:
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def copy_rows(model: type[Model], names: Sequence[str], text: bytes) -> None:
    """Load ``text`` (from ``copy_text``) into ``model``'s table with
    PostgreSQL's ``COPY``, in the current transaction."""
    if not text:
        return
    table = model._meta.db_table
    quoted = ", ".join(f'"{column}"' for column in columns_for(model, names))
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
            copy.write(text)


def add_to_totals(
    model: type[Model],
    keys: Sequence[str],
    figures: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Add ``rows`` (``keys`` then ``figures``) to ``model``'s table: a new
    row per new key, else each figure added to the stored one. One
    ``INSERT ... ON CONFLICT DO UPDATE`` for all rows (SQLite and
    PostgreSQL); ``keys`` must be a unique constraint of the table."""
    if not rows:
        return
    table = model._meta.db_table
    key_columns = columns_for(model, keys)
    figure_columns = [model._meta.get_field(name).column for name in figures]
    names = ", ".join(f'"{column}"' for column in key_columns + figure_columns)
    marks = ", ".join("%s" for _ in range(len(key_columns) + len(figure_columns)))
    conflict = ", ".join(f'"{column}"' for column in key_columns)
    updates = ", ".join(
        f'"{column}" = "{table}"."{column}" + excluded."{column}"'
        for column in figure_columns
    )
    sql = (
        f'INSERT INTO "{table}" ({names}) VALUES ({marks}) '  # noqa: S608 - ours
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _existing_indexes(model: type[Model]) -> set[str]:
    with connection.cursor() as cursor:
        return set(
            connection.introspection.get_constraints(cursor, model._meta.db_table)
        )


# An index build and what runs it (on the calling thread's connection).
Build = tuple[str, Callable[[], None]]
# Memory for a PostgreSQL index build: enough to sort in one pass.
BUILD_MEMORY = "1GB"


def index_builds(*models: type[Model]) -> list[Build]:
    """The builds of the models' declared indexes that are missing (dropped
    for a load, or left dropped by a load that was stopped)."""
    builds = []
    for model in models:
        existing = _existing_indexes(model)
        for index in model._meta.indexes:
            if index.name not in existing:
                builds.append((index.name, partial(_add_index, model, index)))
    return builds


def _add_index(model: type[Model], index: Index) -> None:
    with connection.schema_editor() as editor:
        editor.add_index(model, index)


def run_builds(builds: Sequence[Build], *, sessions: int = 1) -> list[str]:
    """Run ``builds`` in order, and return their names. On PostgreSQL,
    outside a transaction, up to ``sessions`` run at once, each in its own
    thread and database session: PostgreSQL builds a GIN index on one core,
    so another session can build the B-trees meanwhile. SQLite has one
    writer: one after another."""
    names = [name for name, _ in builds]
    parallel = (
        sessions > 1
        and len(builds) > 1
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )
    if not parallel:
        for _, build in builds:
            build()
        return names
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        # list(): wait for all, and raise the first failure.
        list(pool.map(_in_own_session, [build for _, build in builds]))
    return names


def _in_own_session(build: Callable[[], None]) -> None:
    # A new thread has its own connection (Django's are per thread).
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
        build()
    finally:
        connection.close()


def restore_indexes(*models: type[Model]) -> list[str]:
    """Create any of the models' declared indexes that are missing (a load
    stopped while they were dropped). Returns their names."""
    return run_builds(index_builds(*models))


def drop_indexes(*models: type[Model]) -> None:
    """Drop the models' declared secondary indexes for a large load: one
    sort per index at the end is much faster than millions of scattered
    index updates. Constraints (uniqueness) and foreign-key indexes stay.
    ``restore_indexes`` or ``index_builds`` make them again, also after a
    load that was stopped in between."""
    for model in models:
        existing = _existing_indexes(model)
        for index in model._meta.indexes:
            if index.name in existing:
                with connection.schema_editor() as editor:
                    editor.remove_index(model, index)
