"""The list pages' search boxes, fast however many rows a firm has.

A search box matches a case-insensitive substring of a few text columns
(``icontains``), which no B-tree index can serve: a plain query reads every
row of the firm for a term that matches few of them. So each searched
table has a trigram index beside it, and ``search_page`` finds a page in
bounded steps, whatever the data size:

1. **Probe** (one query): the next ``WINDOW`` rows of the page's own order
   after the cursor, each tested against the term. A common word
   ("smith") fills the page from them, and so does any search of a small
   firm or narrow filter (the window holds all its rows): the page is then
   fetched by primary key (two queries in all).
2. **Sample** (one query): otherwise, ``SAMPLE`` of the firm's rows in an
   order unrelated to their text tell how common the term is (the window
   is no fair sample: with users sorted by username, the Smiths sit
   together) and which of its trigrams are rare. On a first page in the
   sample's own order (Transactions, newest first) the two are one read:
   the first ``SAMPLE`` rows, tested and with their text.
3. **Index**: for a rare term, the trigram index finds the candidates
   holding its rarest trigrams (a trigram in every row, "inv" or "exa",
   costs as much to look up as reading the table), and the exact
   ``icontains`` test keeps the true matches (three queries).
4. **Walk**: a common term (in the sample, or with more than ``most``
   matches in the index: a fourth query) is found by walking the page's
   order to its next matches, which are near.

Where the page's index also holds the searched columns folded into one
upper-case value (the Users page by username, ``TextSearch.folded_keys``),
the walk tests that value, read from the index, instead of upper-casing
each column of each row. A walk to near matches then costs what the probe
would, so there is no probe: the sample comes first, and its first tenth
tells a common word (the rest is read for a rarer term: one more query).

The rows are exactly those of the plain ``icontains`` query, in the same
keyset order, on every path (the tests run each). Terms without a trigram
the index can look up (fewer than three characters; on PostgreSQL, no two
letters or digits side by side) are tested row by row: a page reads the
next ``window`` rows of its order (a common one fills its page there), then
at most ``SCAN``: a rare one ("wu") would otherwise read
every row of a large firm (5 s at 5,000,000 payments), at each keystroke
of a search box that searches as one types. A page that has read ``SCAN``
rows without filling up shows the matches it found, and its Next link
carries on from the last row read (``Page.searched``), so no row is ever
skipped or shown twice.

The indexes, made by the apps' migrations:

- PostgreSQL: a GIN index (pg_trgm) on ``UPPER(a || ' ' || b ...)``, the
  columns joined (``||`` is immutable, ``CONCAT`` is not, so only it can be
  indexed). pg_trgm indexes words (runs of letters and digits), so the
  trigrams looked up are those inside the term's words or at a word's end.
- SQLite: an FTS5 table with the ``trigram`` tokenizer, ``detail=none``
  and ``columnsize=0`` (row ids only, no ranking data: a fifth of the size
  of full detail and six times faster to build; the exact test after it
  makes positions unnecessary). It is an
  external-content table on the searched table, kept in step by three
  triggers, so raw SQL inserts (the seed command) keep it right too.

Bulk loads: ``drop_search_indexes`` stops the upkeep for the load (drops
the triggers or the GIN indexes), and ``restore_search_indexes`` rebuilds
the index once at the end, which is much faster than row-by-row upkeep;
it also repairs a load that was stopped half-way. The seed command runs
the rebuilds beside its other index builds (``search_index_builds``,
``fts_build_apart``).
"""

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper

from payportal.core.pagination import (
    PAGE_SIZE,
    Page,
    Seek,
    encode_cursor,
    keyset_page,
    ordering,
    seek,
)

# Rows of the page's order the probe reads. A term found in at least
# (page size + 1) / WINDOW of the rows (2.5%) fills its page from them;
# rarer ones go on to the sample. Reading them costs a few milliseconds.
WINDOW = 2_000
# When the window has too few matches, a sample of the firm's rows, read
# in an order unrelated to their text (TextSearch.sample_key), tells how
# common the term and its trigrams are. A term in COMMON of the sample or
# more is walked to: its next 51 matches are some 51 / COMMON rows away
# where matches are spread evenly (25,000 rows, 20 to 60 ms), while the
# index would read all of them (10,000 at 5,000,000 rows).
SAMPLE = 1_000
COMMON = 0.002
# The most matches the index is asked for (TextSearch.most). A term with
# more is common, and the page is found sooner by walking the page's order
# to its next matches. Where walking a row costs what reading a match does
# (the table), the walk wins for terms in more than about sqrt(51 / rows)
# of the rows: about 5,000 matches at a few million rows. Where the walk
# reads an index that holds the searched columns (Users), it is several
# times cheaper, and fewer matches are worth reading.
MOST = 5_000
# Trigrams looked up in the index: the rarest of the term's, and the next
# ones while they are not too common (in at most MAX_SHARE of the sample's
# rows). Each narrows the candidates; one in most rows ("inv", "com")
# costs more to read than it saves.
MAX_GRAMS = 6
MAX_SHARE = 0.3
# The most rows a page reads for a term without a trigram (see above):
# a firm with fewer rows always gets whole pages.
SCAN = 10_000


@dataclass(frozen=True)
class TextSearch:
    """The searched text columns of one table and the names of its index."""

    table: str
    columns: tuple[str, ...]
    # PostgreSQL: the GIN index; SQLite: the FTS5 table (its triggers are
    # named after it).
    index: str
    # An indexed column, with the firm first, unrelated to the text: the
    # order of the sample (see search_page).
    sample_key: str
    most: int = MOST
    # PostgreSQL: the GIN indexes, by name, and the columns each one joins;
    # by default one index, named ``index``, on all the columns. A term
    # matches inside one column, so the rows holding all of its pieces in
    # one index's text are still a superset of the matches. Two indexes of
    # about the same size are built at once, on two cores, by a bulk load
    # (PostgreSQL builds each GIN index on one core).
    pg_indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Sort keys whose index also holds ``folded()`` (see ``matches``).
    folded_keys: tuple[str, ...] = ()

    def postgres_indexes(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return self.pg_indexes or ((self.index, self.columns),)

    def matches(self, term: str, *, key: str | None = None) -> Q:
        """The exact condition: ``term`` in any column, ignoring case.

        With the ``key`` of a page whose index holds ``folded()``, the same
        condition as one LIKE on that value, read from the index, instead
        of upper-casing each column of each row (on PostgreSQL, four times
        what reading the row costs). The same rows: the database upper-cases
        the joined columns as it does each one (letter by letter; no case
        rule looks across a line break), and as no character but a line
        break upper-cases to one, a term without one can only match within
        a column. SQLite's LIKE and UPPER both change ASCII letters only.
        """
        if key is not None and self.folds(term, key=key):
            pattern = f"%{connection.ops.prep_for_like_query(term)}%"
            return Q(_Contains(self.folded(), Value(pattern)))
        condition = Q()
        for column in self.columns:
            condition |= Q(**{f"{column}__icontains": term})
        return condition

    def folds(self, term: str, *, key: str) -> bool:
        """Whether ``matches(term, key=key)`` tests the folded text."""
        return key in self.folded_keys and _LINE_BREAK not in term and _indexed()

    def candidates(self, pieces: Sequence[str]) -> Q:
        """Rows holding every one of ``pieces`` (pieces of a term, see
        ``grams``), found through the trigram index: a superset of the rows
        whose text holds the term."""
        if connection.vendor == "postgresql":
            # Needs the texts() aliases on the queryset.
            condition = Q()
            for alias in self.texts():
                every = Q()
                for piece in pieces:
                    every &= Q(**{f"{alias}__icontains": piece})
                condition |= every
            return condition
        # An FTS5 string: every character stands for itself, but a quote.
        query = " AND ".join('"{}"'.format(p.replace('"', '""')) for p in pieces)
        # Table names are ours; the query is a parameter.
        sql = f'SELECT rowid FROM "{self.index}" WHERE "{self.index}" MATCH %s'  # noqa: S608
        return Q(pk__in=RawSQL(sql, [query]))  # noqa: S611

    def texts(self) -> dict[str, Func]:
        """Per PostgreSQL index, an alias for ``candidates`` and the joined
        columns, exactly as the index holds them."""
        return {
            f"_search_text_{n}": _Joined(*(F(column) for column in columns))
            for n, (_, columns) in enumerate(self.postgres_indexes())
        }

    def folded(self) -> Func:
        """The columns in upper case, one per line: what the indexes of
        ``folded_keys`` hold (accounts migration 0008). The columns must be
        NOT NULL (a NULL would make the whole value NULL)."""
        return Upper(Lines(*(F(column) for column in self.columns)))


class _Joined(Func):
    # a || ' ' || b: the index expression of the migrations.
    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()


# What ``folded()`` joins the columns with.
_LINE_BREAK = "\n"


class Lines(Func):
    # a || '<line break>' || b (a literal, as in the index: SQLite matches
    # an indexed expression only to the same expression, not a parameter).
    template = "(%(expressions)s)"
    arg_joiner = f" || '{_LINE_BREAK}' || "
    output_field = TextField()


class _Contains(Func):
    # ``text`` holds a LIKE pattern, ignoring case, as ``icontains`` tests
    # a column (the backend's operator: on SQLite LIKE with an ESCAPE, on
    # PostgreSQL LIKE UPPER(pattern)); ``text`` is upper case already.
    output_field = BooleanField()

    def as_sql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        text, pattern = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"{text[0]} {connection.operators['icontains'] % pattern[0]}"
        return sql, (*text[1], *pattern[1])


PAYMENTS = TextSearch(
    table="payments_payment",
    columns=("reference", "payer_email", "cardholder_name", "client_name"),
    index="payment_search",
    sample_key="created_at",
    pg_indexes=(
        ("payment_search", ("reference", "cardholder_name", "client_name")),
        ("payment_search_email", ("payer_email",)),
    ),
)
USERS = TextSearch(
    table="accounts_user",
    columns=("username", "full_name", "email"),
    index="user_search",
    sample_key="last_login",
    most=1_000,
    folded_keys=("username",),
)
SEARCHES = (PAYMENTS, USERS)


def _indexed() -> bool:
    return connection.vendor in ("postgresql", "sqlite")


# A run of letters and digits: a word, to pg_trgm.
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Gram:
    """One trigram of a term: ``piece``, a piece of the term that the index
    turns into the trigram ``key`` (lower case, as the index holds it)."""

    piece: str
    key: str


def grams(term: str, *, words: bool) -> list[Gram]:
    """The term's distinct trigrams that the index can look up.

    SQLite's trigram tokenizer indexes every three characters of the text.
    pg_trgm (``words``) indexes the words of the text, each padded with
    spaces ("smith" -> "smi", "mit", "ith", "th "), so a term yields the
    trigrams inside its words, and a word's last two letters where the term
    shows that the word ends there ("john smith" -> "hn ").
    """
    found: dict[str, Gram] = {}
    if not words:
        for start in range(len(term) - 2):
            piece = term[start : start + 3]
            found.setdefault(piece.lower(), Gram(piece, piece.lower()))
        return list(found.values())
    for word in _WORD.finditer(term):
        start, end = word.span()
        for n in range(start, end - 2):
            piece = term[n : n + 3]
            found.setdefault(piece.lower(), Gram(piece, piece.lower()))
        if end < len(term) and end - start >= 2:
            key = term[end - 2 : end].lower() + " "
            found.setdefault(key, Gram(term[end - 2 : end + 1], key))
    return list(found.values())


def _holds(gram: Gram, *, words: bool) -> Callable[[str], bool]:
    """A test of whether the index holds ``gram`` for a (lower case) text."""
    if words and gram.key.endswith(" "):
        # A word's end: its last two letters, then no letter or digit.
        end = re.compile(re.escape(gram.key[:2]) + r"(?![^\W_])")
        return lambda text: end.search(text) is not None
    return lambda text: gram.key in text


def rarest(
    term_grams: Sequence[Gram], sample: Sequence[Sequence[Any]], *, words: bool
) -> list[str]:
    """The pieces to look up: the rarest gram in ``sample`` (rows of
    column values), then the next rarest while they are in few of its rows.
    """
    # Values joined by a character that is no letter, digit or space: no
    # gram spans two columns, and a word ends with its column.
    texts = ["\x1f".join(str(value) for value in row).lower() for row in sample]
    counted = []
    for n, gram in enumerate(term_grams):
        holds = _holds(gram, words=words)
        counted.append((sum(1 for text in texts if holds(text)), n, gram.piece))
    counted.sort()
    limit = MAX_SHARE * len(sample)
    chosen = [counted[0][2]]
    chosen += [piece for count, _, piece in counted[1:MAX_GRAMS] if count <= limit]
    return chosen


def _same_columns(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """All rows of ``queryset``'s model, read as ``queryset`` reads them
    (its select_related and deferred columns) but without its filters."""
    rows = queryset.model._default_manager.all()
    rows.query.select_related = queryset.query.select_related
    rows.query.deferred_loading = queryset.query.deferred_loading
    return rows


def search_page(
    queryset: QuerySet[Any],
    *,
    search: TextSearch,
    term: str,
    key: str,
    descending: bool = False,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
    window: int = WINDOW,
    common: float = COMMON,
    most: int | None = None,
) -> Page:
    """keyset_page of ``queryset`` narrowed to rows that hold ``term`` in
    one of ``search``'s columns (ignoring case): the same page, in two to
    four bounded queries (see the module's docstring). ``window``,
    ``common`` and ``most`` tune the paths (the tests use them to take
    each)."""

    def page(rows: QuerySet[Any]) -> Page:
        return keyset_page(
            rows, key=key, descending=descending, after=after, before=before, size=size
        )

    most = search.most if most is None else most
    term = term.strip()
    matching = queryset.filter(search.matches(term))
    words = connection.vendor == "postgresql"
    term_grams = grams(term, words=words)
    if not _indexed():
        return page(matching)
    start = seek(
        queryset.model, key=key, descending=descending, after=after, before=before
    )
    if not term_grams:
        return _scanned_page(
            queryset,
            search.matches(term, key=key),
            start,
            key=key,
            size=size,
            window=window,
            page=page,
        )
    rows_after, order = start.rows, start.order
    # The walk reads the page's index, with the test that index serves.
    walked = queryset.filter(search.matches(term, key=key))
    # Where that test reads the folded text (the Users page by username),
    # a row walked costs what a row probed does, and a walk to near
    # matches what the probe would: no probe, the sample comes first.
    folds = search.folds(term, key=key)
    hit = ExpressionWrapper(search.matches(term), output_field=BooleanField())
    # The first page in the sample's own order (the Transactions page's
    # default, newest first): the sample is the probe, so one read of the
    # first rows serves as both.
    nullable = queryset.model._meta.get_field(search.sample_key).null
    sample_order = ordering(search.sample_key, descending=True, nullable=nullable)
    cursor = start.forward or start.backwards
    sample: list[Any] | None = None
    if not folds and not cursor and order == sample_order:
        read = min(window, SAMPLE)
        first = list(
            queryset.order_by(*order)
            .annotate(_search_hit=hit)
            .values_list("pk", "_search_hit", *search.columns)[:read]
        )
        hits = [row[0] for row in first if row[1]]
        if len(hits) > size or len(first) < read:
            return page(queryset.filter(pk__in=hits[: size + 1]))
        sample = [row[1:] for row in first]
    elif not folds:
        rows = queryset.filter(rows_after).order_by(*order).annotate(_search_hit=hit)
        if (hits := _probe(rows, window=window, size=size)) is not None:
            return page(queryset.filter(pk__in=hits))
    # Few matches here, or no probe. Whether the term is rare, or common
    # but out of the way of this order (a surname, with users sorted by
    # username: the Smiths sit together), and which of its trigrams are
    # rare, is read from a sample of the rows in an order that has nothing
    # to do with their text (the firm's newest by id would do, but no
    # index of a firm's rows is in id order).
    if sample is None:
        sampled = (
            queryset.order_by(*sample_order)
            .annotate(_search_hit=hit)
            .values_list("_search_hit", *search.columns)
        )
        # Without a probe, a common word is told from the sample's first
        # tenth (its hits come early), and only a rarer term reads the rest.
        head = SAMPLE // 10 if folds else SAMPLE
        sample = list(sampled[:head])
        if folds and len(sample) == head and _count_hits(sample) < common * SAMPLE:
            sample += sampled[head:SAMPLE]
    if _count_hits(sample) >= common * len(sample):
        return page(_walk(queryset, walked, rows_after, order, size))
    # Not common: the sample was read whole. Short of SAMPLE (and of
    # ``window``), it holds all the rows, few enough to walk.
    if folds and len(sample) < min(window, SAMPLE):
        return page(_walk(queryset, walked, rows_after, order, size))
    chosen = rarest(term_grams, [row[1:] for row in sample], words=words)
    if connection.vendor == "postgresql":
        found = matching.alias(**search.texts()).filter(search.candidates(chosen))
    else:
        # SQLite, without statistics, would rather walk the firm's index in
        # page order (it guesses that a firm has ten rows) than look up the
        # few rows the FTS table names. So the FTS row ids drive, and each
        # candidate is checked against the firm, the filters and the term
        # through its primary key.
        found = queryset.model._default_manager.filter(
            search.candidates(chosen), Exists(matching.filter(pk=OuterRef("pk")))
        )
    # At most ``most`` matches (in no order, so the database stops there),
    # then the page of them, counting them as it goes.
    found = found.filter(rows_after).order_by().values("pk")[: most + 1]
    narrowed = _same_columns(queryset).filter(pk__in=Subquery(found))
    result = page(narrowed.annotate(_search_found=Window(Count("pk"))))
    if not result.rows or result.rows[0]._search_found <= most:
        return result
    # So many matches that reading them all would cost more than walking
    # the page's order to the next ones.
    return page(_walk(queryset, walked, rows_after, order, size))


def _scanned_page(
    queryset: QuerySet[Any],
    condition: Q,
    start: Seek,
    *,
    key: str,
    size: int,
    window: int,
    page: Callable[[QuerySet[Any]], Page],
) -> Page:
    """The page for a term the index cannot look up: the next ``window``
    rows of the page's order, then if need be the next ``SCAN``, each
    tested. When they hold a whole page, or are the last rows, it is the
    usual page; otherwise the matches among them, with cursors at the edges
    of what was read, so Next (or Previous, reading back) goes on from
    there."""
    hit = ExpressionWrapper(condition, output_field=BooleanField())
    rows_read = (
        queryset.filter(start.rows).order_by(*start.order).annotate(_search_hit=hit)
    )
    # A common term ("a") fills its page from the first rows: the probe
    # reads those first, and the scan the rest only for a rare one.
    if window < SCAN:
        if (hits := _probe(rows_read, window=window, size=size)) is not None:
            return page(queryset.filter(pk__in=hits))
    # One row more than the scan, so a scan that reaches the last row makes
    # a last page, not a Next to an empty one.
    scanned = list(rows_read.values_list("pk", key, "_search_hit")[: SCAN + 1])
    last = len(scanned) <= SCAN
    scanned = scanned[:SCAN]
    hits = [pk for pk, _, is_hit in scanned if is_hit]
    if len(hits) > size or last:
        return page(queryset.filter(pk__in=hits[: size + 1]))
    rows = list(_same_columns(queryset).filter(pk__in=hits).order_by(*start.order))
    nearest, furthest = scanned[0], scanned[-1]
    # Where reading went on to (the way it read), and where it began.
    onwards = encode_cursor(furthest[1], furthest[0])
    back = encode_cursor(nearest[1], nearest[0])
    if start.backwards:
        rows.reverse()
        return Page(
            rows=rows,
            next_cursor=back,
            prev_cursor=onwards,
            searched=SCAN,
            searched_back=True,
        )
    return Page(
        rows=rows,
        next_cursor=onwards,
        prev_cursor=back if start.forward else None,
        searched=SCAN,
    )


def _probe(rows: QuerySet[Any], *, window: int, size: int) -> list[Any] | None:
    """The primary keys of the page's matches, when the next ``window`` of
    ``rows`` (after the cursor, in page order, annotated ``_search_hit``)
    hold them all: more than a page of matches, or the last rows. Else
    None."""
    probe = list(rows.values_list("pk", "_search_hit")[:window])
    hits = [pk for pk, is_hit in probe if is_hit]
    if len(hits) > size or len(probe) < window:
        return hits[: size + 1]
    return None


def _count_hits(sample: Sequence[Sequence[Any]]) -> int:
    # The sample's rows that hold the term (their first value).
    return sum(1 for row in sample if row[0])


def _walk(
    queryset: QuerySet[Any],
    matching: QuerySet[Any],
    rows_after: Q,
    order: list[Any],
    size: int,
) -> QuerySet[Any]:
    """The next matches, found by walking the page's order: for a common
    word. The walk reads primary keys only, so an index that holds the
    searched columns (as the Users page's do) serves it without reading
    the table."""
    walk = matching.filter(rows_after).order_by(*order).values("pk")[: size + 1]
    return _same_columns(queryset).filter(pk__in=Subquery(walk))


# --- Upkeep of the indexes ---------------------------------------------------


def _sqlite_triggers(search: TextSearch) -> dict[str, str]:
    """The triggers that keep ``search``'s FTS table in step, by name."""
    table, fts = search.table, search.index
    columns = ", ".join(search.columns)
    new = ", ".join(f"new.{c}" for c in search.columns)
    old = ", ".join(f"old.{c}" for c in search.columns)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in search.columns)
    # Only our own table and column names go into this SQL.
    insert = f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new});"  # noqa: S608
    delete = (
        f"INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.id, {old});"  # noqa: S608,E501
    )
    return {
        f"{fts}_insert": (
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END"
        ),
        f"{fts}_delete": (
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END"
        ),
        f"{fts}_update": (
            f"CREATE TRIGGER {fts}_update AFTER UPDATE ON {table} "
            f"WHEN {changed} BEGIN {delete} {insert} END"
        ),
    }


def sqlite_schema(search: TextSearch) -> dict[str, str]:
    """The FTS table and its triggers, by name, as the migrations made
    them (a test compares them with the database)."""
    columns = ", ".join(search.columns)
    return {
        search.index: (
            f"CREATE VIRTUAL TABLE {search.index} USING fts5({columns}, "
            f"content='{search.table}', content_rowid='id', "
            "tokenize='trigram', detail='none', columnsize=0)"
        ),
        **_sqlite_triggers(search),
    }


def postgres_indexes(search: TextSearch) -> dict[str, str]:
    """The GIN indexes, by name, as the migrations made them."""
    made = {}
    for name, columns in search.postgres_indexes():
        joined = " || ' ' || ".join(columns)
        made[name] = (
            f"CREATE INDEX {name} ON {search.table} "
            f"USING gin ((UPPER({joined})) gin_trgm_ops)"
        )
    return made


def _existing_sqlite(names: Sequence[str]) -> set[str]:
    with connection.cursor() as cursor:
        marks = ", ".join("%s" for _ in names)
        cursor.execute(
            f"SELECT name FROM sqlite_master WHERE name IN ({marks})",  # noqa: S608
            list(names),
        )
        return {row[0] for row in cursor.fetchall()}


def _existing_postgres_index(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [name])
        return cursor.fetchone() is not None


def _for(models: Sequence[type[Model]]) -> list[TextSearch]:
    tables = {model._meta.db_table for model in models}
    return [search for search in SEARCHES if search.table in tables]


def drop_search_indexes(*models: type[Model]) -> None:
    """Stop the upkeep of the models' search indexes before a bulk load:
    SQLite drops the triggers (the FTS table goes stale until rebuilt),
    PostgreSQL drops the GIN index."""
    for search in _for(models):
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for name in _sqlite_triggers(search):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            elif connection.vendor == "postgresql":
                for name in postgres_indexes(search):
                    cursor.execute(f"DROP INDEX IF EXISTS {name}")


def restore_search_indexes(*models: type[Model]) -> list[str]:
    """Make the models' search indexes whole again (after a bulk load, or
    one that stopped half-way): on SQLite, missing triggers are made again
    and the FTS table is rebuilt from its table; on PostgreSQL a missing
    GIN index is built. Nothing is done when all is in place. Returns the
    names of the indexes rebuilt.

    Call it outside a transaction that wrote to the tables (as after a
    bulk load of committed batches): PostgreSQL cannot build an index while
    a transaction still has deferred foreign-key checks on its table.

    A rebuild reads the whole table: about 6 s per million payments on
    SQLite and 14 s on PostgreSQL (this project's 2-core machine). Rows
    inserted with the upkeep on cost about 0.13 ms each on SQLite (raw
    inserts: 7,000 a second instead of 72,000) and 0.025 ms on PostgreSQL
    (COPY: 20,000 a second instead of 38,000), so a load adding more than
    about a twentieth of the table on SQLite, or half of it on PostgreSQL,
    is faster deferred."""
    rebuilt = []
    for name, build in search_index_builds(*models):
        build()
        rebuilt.append(name)
    return rebuilt


def search_index_builds(
    *models: type[Model],
) -> list[tuple[str, Callable[[], None]]]:
    """The rebuilds ``restore_search_indexes`` would run, as (index name,
    function) pairs, for a caller that runs them beside other index builds
    (the seed command: one database session each on PostgreSQL)."""
    builds: list[tuple[str, Callable[[], None]]] = []
    if connection.vendor == "sqlite":
        for search in missing_search_indexes(*models):
            builds.append((search.index, partial(_rebuild_sqlite, search)))
    elif connection.vendor == "postgresql":
        for search in _for(models):
            for name, sql in postgres_indexes(search).items():
                if not _existing_postgres_index(name):
                    builds.append((name, partial(_execute, sql)))
    return builds


def missing_search_indexes(*models: type[Model]) -> list[TextSearch]:
    """The models' searches whose index is not whole: on SQLite, a trigger
    is missing (the FTS table is stale); on PostgreSQL, a GIN index."""
    missing = []
    for search in _for(models):
        if connection.vendor == "sqlite":
            triggers = _sqlite_triggers(search)
            if set(triggers) - _existing_sqlite(list(triggers)):
                missing.append(search)
        elif connection.vendor == "postgresql":
            if not all(map(_existing_postgres_index, postgres_indexes(search))):
                missing.append(search)
    return missing


def _rebuild_sqlite(search: TextSearch) -> None:
    triggers = _sqlite_triggers(search)
    with connection.cursor() as cursor:
        for name in triggers:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        fts = search.index
        cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
        for sql in triggers.values():
            cursor.execute(sql)


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def fts_build_apart(search: TextSearch, source: str, target: str) -> None:
    """SQLite: build ``search``'s FTS index from the table in the database
    file ``source`` into a new database file ``target``, with a connection
    of its own. It only reads ``source`` (WAL lets it read while another
    connection writes there, as the seed command builds the B-tree indexes
    meanwhile, on the other core), and ``fts_install`` copies the result
    in. The index is that of a contentless FTS5 table with the same
    columns, tokenizer and detail, which holds the same records as the
    external-content table's ``rebuild`` (the seed tests run FTS5's
    integrity check against the table after an install)."""
    columns = ", ".join(search.columns)
    apart = sqlite3.connect(target, isolation_level=None)
    try:
        apart.execute("PRAGMA journal_mode=OFF")
        apart.execute("PRAGMA synchronous=OFF")
        apart.execute("ATTACH DATABASE ? AS source", [f"file:{source}?mode=ro"])
        apart.execute(f"DROP TABLE IF EXISTS main.{search.index}")
        apart.execute(
            f"CREATE VIRTUAL TABLE main.{search.index} USING fts5({columns}, "
            "content='', tokenize='trigram', detail='none', columnsize=0)"
        )
        apart.execute("BEGIN")
        apart.execute(
            f"INSERT INTO main.{search.index}(rowid, {columns}) "  # noqa: S608 - ours
            f"SELECT id, {columns} FROM source.{search.table}"
        )
        apart.execute("COMMIT")
    finally:
        apart.close()


def fts_install(search: TextSearch, db: Any, built: str) -> None:
    """SQLite: replace the records of ``search``'s FTS table in ``db`` (a
    sqlite3 connection, outside a transaction) with those that
    ``fts_build_apart`` wrote to the file ``built``, and make its triggers,
    in one transaction."""
    fts = search.index
    db.execute("ATTACH DATABASE ? AS built", [built])
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            for name in _sqlite_triggers(search):
                db.execute(f"DROP TRIGGER IF EXISTS {name}")
            for shadow in ("data", "idx"):
                db.execute(f"DELETE FROM main.{fts}_{shadow}")  # noqa: S608 - ours
                db.execute(
                    f"INSERT INTO main.{fts}_{shadow} "  # noqa: S608 - ours
                    f"SELECT * FROM built.{fts}_{shadow}"
                )
            for sql in _sqlite_triggers(search).values():
                db.execute(sql)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.execute("DETACH DATABASE built")
