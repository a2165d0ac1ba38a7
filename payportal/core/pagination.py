"""Keyset ("seek") pagination: pages stay fast however deep they go.

A page is the rows after (or before) a cursor - the sort value and primary
key of the last row seen - read through an index on ``(merchant, key, id)``.
No OFFSET and no COUNT: a deep page costs what the first page costs.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Model, Q, QuerySet

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None
    prev_cursor: str | None
    # A search that stopped after reading this many rows without filling
    # the page (core/search.py, terms without a trigram): the cursors go on
    # from the rows read.
    searched: int = 0
    # ... reading back (from a ``before`` cursor): Previous goes on.
    searched_back: bool = False

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor)

    @property
    def searched_label(self) -> str:
        return f"{self.searched:,}"


def encode_cursor(value: Any, pk: int) -> str:
    raw = json.dumps([None if value is None else str(value), pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(model: type[Model], key: str, cursor: str) -> tuple[Any, int] | None:
    """The (value, pk) in a cursor, or None when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        field = model._meta.get_field(key)
        return (None if value is None else field.to_python(value)), int(pk)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        return None
    except Exception:  # noqa: BLE001 - a field's to_python raises its own errors
        return None


def _after(key: str, value: Any, pk: int, *, descending: bool, nullable: bool) -> Q:
    """Rows after (value, pk) in the page order; NULLs sort as smallest."""
    later = "lt" if descending else "gt"
    if value is None:
        same = Q(**{f"{key}__isnull": True, f"pk__{later}": pk})
        return same if descending else same | Q(**{f"{key}__isnull": False})
    # The first term is implied by the other two; it is there so the
    # database can start the index scan at ``value`` instead of filtering
    # every row before it (an OR alone is not an index condition).
    bound = "lte" if descending else "gte"
    rows = Q(**{f"{key}__{bound}": value}) & (
        Q(**{f"{key}__{later}": value}) | Q(**{key: value, f"pk__{later}": pk})
    )
    if nullable and descending:
        rows |= Q(**{f"{key}__isnull": True})
    return rows


def ordering(key: str, *, descending: bool, nullable: bool) -> list[Any]:
    """``key`` then primary key, in page order (NULLs as smallest)."""
    # A NULLS clause only where NULLs can be: on a NOT NULL column it would
    # stop PostgreSQL from reading the rows in the order of a plain index.
    # Nullable keys need a matching index on PostgreSQL (NULLS FIRST), see
    # accounts migration 0002.
    field = F(key)
    if descending:
        order = field.desc(nulls_last=True) if nullable else field.desc()
        return [order, F("pk").desc()]
    order = field.asc(nulls_first=True) if nullable else field.asc()
    return [order, F("pk").asc()]


@dataclass(frozen=True)
class Seek:
    """Where a keyset page starts: the rows after the cursor (all rows
    without one) and the order to read them in."""

    rows: Q
    order: list[Any]
    # Reading back from a ``before`` cursor (the rows come out reversed).
    backwards: bool
    # A valid ``after`` cursor was given: there is a page before this one.
    forward: bool


def seek(
    model: type[Model],
    *,
    key: str,
    descending: bool = False,
    after: str | None = None,
    before: str | None = None,
) -> Seek:
    """Decode the page's cursor (``before`` first; a cursor that does not
    decode is ignored) into the rows it starts from and their order."""
    nullable = model._meta.get_field(key).null
    rows, backwards, forward = Q(), False, False
    if before and (decoded := decode_cursor(model, key, before)):
        backwards = True
        rows = _after(key, *decoded, descending=not descending, nullable=nullable)
    elif after and (decoded := decode_cursor(model, key, after)):
        forward = True
        rows = _after(key, *decoded, descending=descending, nullable=nullable)
    order = ordering(key, descending=descending != backwards, nullable=nullable)
    return Seek(rows=rows, order=order, backwards=backwards, forward=forward)


def keyset_page(
    queryset: QuerySet[Any],
    *,
    key: str,
    descending: bool = False,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """Return one page of ``queryset`` ordered by ``key`` then primary key.

    ``after`` moves forward from a cursor, ``before`` moves back; a cursor
    that does not decode is ignored (first page), never a 500.
    """
    start = seek(
        queryset.model, key=key, descending=descending, after=after, before=before
    )
    rows = list(queryset.filter(start.rows).order_by(*start.order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if start.backwards:
        rows.reverse()

    def cursor(row: Any) -> str:
        return encode_cursor(getattr(row, key), row.pk)

    has_next = more if not start.backwards else True
    has_prev = (more if start.backwards else start.forward) and bool(rows)
    return Page(
        rows=rows,
        next_cursor=cursor(rows[-1]) if rows and has_next else None,
        prev_cursor=cursor(rows[0]) if rows and has_prev else None,
    )
