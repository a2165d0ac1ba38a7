"""The Users search by username, which tests the folded text its index holds
(core/search.py, TextSearch.folded_keys; accounts migration 0008): the same
rows as the plain ``icontains`` of each column, whatever the text."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from payportal.accounts.models import User
from payportal.accounts.tests.factories import UserFactory
from payportal.core import search

pytestmark = pytest.mark.django_db

# As in test_user_search.py: the default path (for a username page: the
# sample, then the walk), the index, and the walk with and without it.
PATHS = [
    {},
    {"window": 1, "common": 2},
    {"window": 1, "common": 0},
    {"window": 1, "common": 2, "most": 0},
]


def usernames(page):
    return [user.username for user in page.rows]


def find(merchant, q, *, path, descending=False, **page):
    return search.search_page(
        User.objects.filter(merchant=merchant).select_related("role"),
        search=search.USERS,
        term=q,
        key="username",
        descending=descending,
        **path,
        **page,
    )


def plain(merchant, q, *, descending=False):
    """The definition: ``icontains`` on each column, in page order."""
    condition = Q()
    for column in search.USERS.columns:
        condition |= Q(**{f"{column}__icontains": q})
    order = ["-username", "-id"] if descending else ["username", "id"]
    users = User.objects.filter(condition, merchant=merchant).order_by(*order)
    return list(users.values_list("username", flat=True))


@pytest.fixture
def odd_people(merchant, admin_role):
    for username, full_name, email in [
        ("emile1", "Émile Zola", "emile@firm.test"),
        ("elise2", "ÉLISE Brontë", "e.bronte@firm.test"),
        ("pct3", "Fifty 100% Sure", "pct@firm.test"),
        ("und4", "Under_Score", "und@firm.test"),
        ("bsl5", "Back\\Slash", "bsl@firm.test"),
        ("abc6", "Def Ghi", "jkl@firm.test"),
        # The long s upper-cases to S where the database folds non-ASCII
        # letters (PostgreSQL), and is a letter of its own on SQLite.
        ("long7", "Jo \u017fmith", "jo@firm.test"),
        ("ss8", "Anna Straße", "anna@firm.test"),
        ("tab9", "Tab\tInside", "tab@firm.test"),
    ]:
        UserFactory(
            merchant=merchant,
            role=admin_role,
            username=username,
            full_name=full_name,
            email=email,
        )


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    "q",
    [
        "émile",
        "ÉMILE",
        "élise",
        "brontë",
        "100%",
        "_sc",
        "k\\sl",
        "smith",
        "STRASSE",
        "straße",
        "b\tin",
        "firm.test",
    ],
)
def test_username_search_finds_what_icontains_finds(
    merchant, odd_people, path, descending, q
):
    assert search.USERS.folds(q, key="username") is True

    found = find(merchant, q, path=path, descending=descending)

    assert usernames(found) == plain(merchant, q, descending=descending)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("q", "user"), [("émile zola", "emile1"), ("élise b", "elise2")]
)
def test_username_search_folds_non_ascii_letters_as_the_database_does(
    merchant, odd_people, path, q, user
):
    # PostgreSQL upper-cases É and é alike; SQLite's LIKE and UPPER fold
    # ASCII letters only.
    expected = [user] if connection.vendor == "postgresql" else []

    assert usernames(find(merchant, q, path=path)) == expected


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("q", ["abc6 def", "6def", "ghi jkl", "ghi\njkl", "abc6\ndef"])
def test_username_search_never_matches_across_two_columns(
    merchant, odd_people, path, q
):
    assert usernames(find(merchant, q, path=path)) == []


def test_a_term_with_a_line_break_is_tested_column_by_column():
    # The folded text joins the columns with line breaks: such a term could
    # match across two of them there.
    assert search.USERS.folds("ghi\njkl", key="username") is False
    assert search.USERS.folds("ghi jkl", key="username") is True


def test_only_the_username_order_reads_the_folded_text():
    assert [
        key
        for key in ("username", "full_name", "email", "last_login")
        if search.USERS.folds("smith", key=key)
    ] == ["username"]
    assert search.PAYMENTS.folds("smith", key="created_at") is False


def test_the_username_index_holds_the_folded_text_the_search_reads():
    # The expression as the search compiles it, without the table's name:
    # the index must hold exactly this, or the database computes it for
    # every row walked.
    query = User.objects.annotate(folded=search.USERS.folded()).values("folded")
    sql = str(query.query)
    expression = sql.removeprefix("SELECT ").split(' AS "folded"')[0]
    expression = expression.replace('"accounts_user".', "").replace('"', "")
    wanted = (
        "CREATE INDEX user_merchant_username ON accounts_user "
        f"(merchant_id, username, id, full_name, email, ({expression}))"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'user_merchant_username'"
            )
            # (Without quotes: as Django would write it from the model's Meta.)
            assert cursor.fetchone()[0].replace('"', "") == wanted
        else:
            # PostgreSQL prints an index in its own words: make the wanted
            # one beside it and compare the two prints.
            cursor.execute(wanted.replace("user_merchant_username", "wanted_index"))
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
                "('user_merchant_username', 'wanted_index') ORDER BY indexname"
            )
            (_, existing), (_, made) = cursor.fetchall()
            assert existing == made.replace("wanted_index", "user_merchant_username")


def sampled_users(merchant, role, *, hits):
    """SAMPLE + 100 users, numbered in the sample's order (last login,
    newest first); those numbered in ``hits`` hold "quixote"."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    User.objects.bulk_create(
        User(
            merchant=merchant,
            role=role,
            username=f"u{n:05d}",
            full_name="Quixote Hidalgo" if n in hits else f"Pat Example {n}",
            email=f"u{n:05d}@firm.test",
            password="!",
            last_login=now - timedelta(minutes=n),
        )
        for n in range(search.SAMPLE + 100)
    )


def last_query(merchant, q, **path):
    """The page, and whether its last query looked up the trigram index
    (SQLite's FTS table, PostgreSQL's text joined by spaces) or walked."""
    users = User.objects.filter(merchant=merchant).select_related("role")
    with CaptureQueriesContext(connection) as queries:
        page = search.search_page(
            users, search=search.USERS, term=q, key="username", size=3, **path
        )
    sql = queries.captured_queries[-1]["sql"]
    return page, "MATCH" in sql or "|| ' ' ||" in sql


@pytest.mark.parametrize(
    ("hits", "walked"),
    [((0,), False), ((0, 1), True), ((500, 999), True), ((500,), False)],
)
def test_username_search_walks_to_a_term_the_sample_finds_common(
    merchant, admin_role, hits, walked
):
    # COMMON of SAMPLE rows is two: one hit is a rare term (the index finds
    # it), two a common one (the walk does), early in the sample or late.
    sampled_users(merchant, admin_role, hits=hits)

    page, indexed = last_query(merchant, "quixote")

    assert usernames(page) == [f"u{n:05d}" for n in hits]
    assert indexed is not walked


def test_username_search_walks_a_firm_smaller_than_the_sample(merchant, odd_people):
    # However rare the term, reading the firm's few rows costs less than
    # looking up the index.
    page, indexed = last_query(merchant, "zola", common=2)

    assert usernames(page) == ["emile1"]
    assert indexed is False
