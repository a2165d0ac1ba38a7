"""Bulk inserts for the seed command: rows as tuples, no per-row ORM saves.

SQLite gets one ``executemany`` per table and batch on the raw connection;
PostgreSQL gets ``COPY ... FROM STDIN``. Both run inside the caller's
transaction, so a batch lands whole or not at all. Primary keys are handed
out before the insert (``reserve_ids``) so dependent rows (refunds,
chargebacks) can name their payment without reading it back.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import NOT_PROVIDED, Model


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


@dataclass(frozen=True)
class DatetimeText:
    """Writes a UTC datetime as the loaders store it: SQLite's text form
    (what Django stores: UTC, no offset) or PostgreSQL's timestamptz input
    (``suffix`` "+00"). A plain object, so a generator process can take it."""

    suffix: str

    def __call__(self, value: datetime) -> str:
        # Naive datetimes are UTC already (the generators make them so).
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ") + self.suffix


def datetime_text() -> DatetimeText:
    """The datetime writer for the current database."""
    return DatetimeText("+00" if connection.vendor == "postgresql" else "")


def insert_rows(
    model: type[Model], names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``names``, values already in
    storage form: ``db_datetime`` text, JSON text, booleans as 0/1) into
    ``model``'s table in the current transaction."""
    table = model._meta.db_table
    columns = columns_for(model, names)
    quoted = ", ".join(f'"{column}"' for column in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: COPY
            with raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'  # noqa: S608
    connection.ensure_connection()
    # The raw connection skips Django's per-row parameter handling.
    connection.connection.executemany(sql, rows)


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


def restore_indexes(*models: type[Model]) -> list[str]:
    """Create any of the models' declared indexes that are missing (a load
    stopped while they were dropped). Returns their names."""
    made = []
    for model in models:
        existing = _existing_indexes(model)
        for index in model._meta.indexes:
            if index.name not in existing:
                with connection.schema_editor() as editor:
                    editor.add_index(model, index)
                made.append(index.name)
    return made


@contextmanager
def indexes_deferred(*models: type[Model], defer: bool = True) -> Iterator[None]:
    """Drop the models' declared secondary indexes for a large load and
    build them again afterwards: one sort per index is much faster than
    millions of scattered index updates. Constraints (uniqueness) and
    foreign-key indexes stay. If the process dies in between, the next
    ``restore_indexes`` makes them again."""
    if not defer:
        yield
        return
    for model in models:
        existing = _existing_indexes(model)
        for index in model._meta.indexes:
            if index.name in existing:
                with connection.schema_editor() as editor:
                    editor.remove_index(model, index)
    try:
        yield
    finally:
        restore_indexes(*models)
