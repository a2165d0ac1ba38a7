"""The Users search box: same rows as a plain ``icontains``, through the
trigram index (core/search.py), on the three paths of ``search_page`` (see
payments/tests/test_search.py)."""

import pytest
from django.db import connection

from payportal.accounts.forms.users import UserFilterForm
from payportal.accounts.models import User
from payportal.accounts.selectors.users import list_users
from payportal.accounts.tests.factories import UserFactory
from payportal.core import search
from payportal.core.validators import CARD_NUMBER_MESSAGE

pytestmark = pytest.mark.django_db

# The paths: the probe of the page's order, the index, the walk for a term
# the sample finds common, and the walk for one the index finds common.
PROBE = {}
INDEX = {"window": 1, "common": 2}
WALK = {"window": 1, "common": 0}
WALK_AFTER_INDEX = {"window": 1, "common": 2, "most": 0}
PATHS = [PROBE, INDEX, WALK, WALK_AFTER_INDEX]


def usernames(page):
    return [user.username for user in page.rows]


def find(merchant, q, *, path, key="username", descending=False, **page):
    return search.search_page(
        User.objects.filter(merchant=merchant).select_related("role"),
        search=search.USERS,
        term=q,
        key=key,
        descending=descending,
        **path,
        **page,
    )


@pytest.fixture
def people(merchant, admin_role, admin):
    made = {}
    for username, full_name, email in [
        ("jdoe7", "Jane Doe", "jane.doe@firm.test"),
        ("msmith", "Mary Smith", "mary@firm.test"),
        ("psmithson", "Paul Smithson", "paul@firm.test"),
        ("qlee", "Quinn Lee", "q.lee@smithco.test"),
        ("rblack", "Rae Blackwood", "rae@firm.test"),
    ]:
        made[username] = UserFactory(
            merchant=merchant,
            role=admin_role,
            username=username,
            full_name=full_name,
            email=email,
        )
    return made


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("JDOE7", ["jdoe7"]),
        ("jane d", ["jdoe7"]),
        ("DOE@FIRM", ["jdoe7"]),
        ("smith", ["msmith", "psmithson", "qlee"]),
        ("SMITHSON", ["psmithson"]),
        ("smithco.test", ["qlee"]),
        ("nobody", []),
    ],
)
def test_user_search_finds_a_substring_of_any_column_ignoring_case(
    merchant, people, path, q, expected
):
    assert usernames(find(merchant, q, path=path)) == expected


@pytest.mark.parametrize("path", PATHS)
def test_user_search_never_finds_another_firms_user(
    merchant, other_merchant, people, path
):
    UserFactory(merchant=other_merchant, username="osmith", full_name="Otto Smith")

    assert usernames(find(merchant, "smith", path=path)) == [
        "msmith",
        "psmithson",
        "qlee",
    ]
    assert usernames(find(other_merchant, "smith", path=path)) == ["osmith"]


@pytest.mark.parametrize("path", PATHS)
def test_user_search_takes_like_wildcards_literally(merchant, admin_role, path):
    UserFactory(merchant=merchant, role=admin_role, username="u1", full_name="A_B 100%")
    UserFactory(merchant=merchant, role=admin_role, username="u2", full_name="AXB 1000")

    assert usernames(find(merchant, "a_b 100", path=path)) == ["u1"]
    assert usernames(find(merchant, "100%", path=path)) == ["u1"]
    assert usernames(find(merchant, "_", path=path)) == ["u1"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("q", ["s", "sm", "@f"])
def test_user_search_short_terms_match_as_before(merchant, people, path, q):
    expected = sorted(
        user.username
        for user in User.objects.filter(merchant=merchant)
        if any(
            q.lower() in value.lower()
            for value in (user.username, user.full_name, user.email)
        )
    )

    assert usernames(find(merchant, q, path=path)) == expected


@pytest.mark.parametrize("path", [*PATHS, {"window": 2, "common": 2}])
@pytest.mark.parametrize("sort", ["username", "-username", "full_name", "-email"])
def test_user_search_pages_forward_and_back(merchant, people, path, sort):
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    order = [f"-{key}", "-id"] if descending else [key, "id"]
    expected = [
        user.username
        for user in User.objects.filter(merchant=merchant).order_by(*order)
        if "smith" in (user.username + user.full_name + user.email).lower()
    ]

    def page(**cursor):
        return find(
            merchant,
            "smith",
            path=path,
            key=key,
            descending=descending,
            size=2,
            **cursor,
        )

    first = page()
    second = page(after=first.next_cursor)
    back = page(before=second.prev_cursor)

    assert [usernames(first), usernames(second)] == [expected[:2], expected[2:]]
    assert second.next_cursor is None
    assert usernames(back) == expected[:2]
    assert back.prev_cursor is None


def test_list_users_combines_the_search_with_status_and_role(
    merchant, people, admin_role
):
    people["psmithson"].is_active = False
    people["psmithson"].save()

    assert usernames(list_users(merchant=merchant, q="smith", status="inactive")) == [
        "psmithson"
    ]
    assert usernames(
        list_users(merchant=merchant, q="smith", status="active", role_id=admin_role.pk)
    ) == ["msmith", "qlee"]


def test_list_users_search_takes_three_queries(
    merchant, people, django_assert_num_queries
):
    # The sample (a username page has no probe), the page, and the lockouts
    # of its usernames.
    with django_assert_num_queries(3):
        page = list_users(merchant=merchant, q="smith")

    assert usernames(page) == ["msmith", "psmithson", "qlee"]


@pytest.mark.parametrize("path", PATHS)
def test_user_search_follows_a_renamed_user(merchant, people, path):
    user = people["rblack"]
    user.full_name = "Rae Whitmore"
    user.save()

    assert usernames(find(merchant, "blackwood", path=path)) == []
    assert usernames(find(merchant, "whitmore", path=path)) == ["rblack"]


def test_the_user_search_index_is_as_core_search_describes_it():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            wanted = search.sqlite_schema(search.USERS)
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE name IN (%s, %s, %s, %s)",
                list(wanted),
            )
            assert dict(cursor.fetchall()) == wanted
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'user_search'"
            )
            (definition,) = cursor.fetchone()
            assert "gin_trgm_ops" in definition


# Outside a test transaction, as a bulk load runs: PostgreSQL cannot build an
# index in a transaction that still has foreign-key checks to make.
@pytest.mark.django_db(transaction=True)
def test_deferred_user_search_index_is_whole_after_a_bulk_load(merchant, people):
    search.drop_search_indexes(User)
    try:
        UserFactory(merchant=merchant, username="late1", full_name="Loaded Later")
    finally:
        search.restore_search_indexes(User)

    assert usernames(find(merchant, "loaded later", path=INDEX)) == ["late1"]
    assert usernames(find(merchant, "smith", path=INDEX)) == [
        "msmith",
        "psmithson",
        "qlee",
    ]


def test_user_list_refuses_a_card_number_and_does_not_search(admin_client, people):
    # The form refuses it (UserFilterForm), so the page lists everyone.
    response = admin_client.get("/users/?q=4111111111111111")

    assert len(response.context["page"].rows) == 6


def test_user_filter_form_refuses_a_card_number(merchant):
    form = UserFilterForm({"q": "4111 1111 1111 1111"}, roles=[])

    assert form.filters()["q"] == ""
    assert form.errors["q"] == [CARD_NUMBER_MESSAGE]
