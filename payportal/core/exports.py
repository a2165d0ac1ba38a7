"""CSV exports streamed in chunks, safe to open in a spreadsheet.

Every CSV the portal serves (transactions, the audit log, the access
review) goes through ``csv_chunks``, or ``csv_line_chunks`` for rows the
database wrote as CSV lines itself (the transactions export): rows are
joined a few hundred at a time into one string, so a million-row export is
a few thousand chunks for the server to send, not a million, and memory
stays flat. ``streamed`` reads the rows so that the first chunk leaves as
soon as the database has found the first rows.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

# A cell starting with one of these is a formula to a spreadsheet (CSV
# injection): such text gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
ROWS_PER_CHUNK = 500
# csv.writer's default; rows written in SQL follow its rules too.
CSV_DIALECT = csv.excel


def safe_cell(value: Any) -> Any:
    """``value``, with an apostrophe in front when text would be read as a
    formula."""
    return safe_texts(value)[0] if isinstance(value, str) else value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def safe_texts(*texts: str) -> list[str]:
    """``safe_cell`` for many strings at once (no empty-string check per
    call: exports run it millions of times)."""
    return [
        "'" + text if text and text[0] in _FORMULA_FIRST else text for text in texts
    ]


def csv_chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    rows_per_chunk: int = ROWS_PER_CHUNK,
) -> Iterator[str]:
    """The header and ``rows`` as CSV text, ``rows_per_chunk`` rows per
    chunk. Rows must already be safe (``safe_row`` or ``safe_cell`` on the
    text columns a person or a processor wrote)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, CSV_DIALECT)
    writer.writerow(header)
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == rows_per_chunk:
            writer.writerows(chunk)
            chunk.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(chunk)
    yield buffer.getvalue()


def csv_line_chunks(
    header: Sequence[str],
    lines: Iterable[str],
    *,
    rows_per_chunk: int = ROWS_PER_CHUNK,
) -> Iterator[str]:
    """The header and ``lines`` (rows already written as CSV, each with
    its line end, safe), ``rows_per_chunk`` rows per chunk."""
    buffer = io.StringIO()
    csv.writer(buffer, CSV_DIALECT).writerow(header)
    lines = iter(lines)
    chunk = buffer.getvalue() + "".join(islice(lines, rows_per_chunk))
    while chunk:
        yield chunk
        chunk = "".join(islice(lines, rows_per_chunk))


def streamed(rows: QuerySet[Any], *, chunk_size: int) -> Iterator[Any]:
    """``rows.iterator(chunk_size=...)``, sent on as the database finds them.

    On PostgreSQL, outside a transaction, Django reads through a ``WITH
    HOLD`` cursor, which computes the whole result before the first row
    (about 4 s for a million transactions): the download would wait that
    long to start, and the result is kept in a temporary file meanwhile.
    In a transaction the cursor streams. So the rows are read in one, which
    keeps one snapshot (a consistent export) for as long as the download
    lasts; it locks nothing that the portal writes."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield from rows.iterator(chunk_size=chunk_size)
        return
    with transaction.atomic():
        yield from rows.iterator(chunk_size=chunk_size)
