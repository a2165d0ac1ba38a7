from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate
from django.http import Http404
from django.test import RequestFactory

from payportal.accounts.lockout import locked_usernames
from payportal.accounts.selectors.users import get_user, list_users, parse_sort
from payportal.accounts.tests.factories import RoleFactory, UserFactory
from payportal.accounts.tests.lockouts import lock_out

pytestmark = pytest.mark.django_db


def usernames(page):
    return [user.username for user in page.rows]


@pytest.fixture
def people(merchant, admin_role, admin):
    """admin plus four users with distinct names, emails, roles and logins."""
    clerk = RoleFactory(merchant=merchant, name="Clerk")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    return {
        "admin": admin,
        "clerk": clerk,
        "bo": UserFactory(
            merchant=merchant,
            role=clerk,
            username="bo",
            full_name="Zed Bo",
            email="a-bo@firm.test",
            last_login=start,
        ),
        "cy": UserFactory(
            merchant=merchant,
            role=admin_role,
            username="cy7",
            full_name="Yan Cy",
            email="c-cy@firm.test",
            last_login=start + timedelta(days=2),
        ),
        "di": UserFactory(
            merchant=merchant,
            role=clerk,
            username="di9",
            full_name="Xu Di",
            email="b-di@firm.test",
            is_active=False,
        ),
    }


def test_get_user_returns_the_merchants_user(merchant, admin):
    assert get_user(merchant=merchant, user_id=admin.pk) == admin


def test_get_user_404s_for_other_merchant(other_merchant, admin):
    with pytest.raises(Http404):
        get_user(merchant=other_merchant, user_id=admin.pk)


def test_list_users_sorts_by_username_by_default(merchant, people):
    page = list_users(merchant=merchant)

    assert usernames(page) == ["admin", "bo", "cy7", "di9"]
    assert page.next_cursor is None
    assert page.prev_cursor is None


def test_list_users_keeps_to_the_merchant(merchant, other_merchant, people):
    UserFactory(merchant=other_merchant, username="stranger")

    assert "stranger" not in usernames(list_users(merchant=merchant))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-username", ["di9", "cy7", "bo", "admin"]),
        ("full_name", ["admin", "di9", "cy7", "bo"]),
        ("-full_name", ["bo", "cy7", "di9", "admin"]),
        ("email", ["bo", "admin", "di9", "cy7"]),
        ("last_login", ["di9", "bo", "cy7", "admin"]),
        ("-last_login", ["admin", "cy7", "bo", "di9"]),
    ],
)
def test_list_users_sorts_by_each_key(merchant, people, sort, expected):
    people["admin"].last_login = datetime(2026, 4, 1, tzinfo=UTC)
    people["admin"].save()

    assert usernames(list_users(merchant=merchant, sort=sort)) == expected


@pytest.mark.parametrize("sort", ["", "role", "-password", "username; drop", None])
def test_list_users_falls_back_to_username_for_unknown_sort(merchant, people, sort):
    assert usernames(list_users(merchant=merchant, sort=sort)) == [
        "admin",
        "bo",
        "cy7",
        "di9",
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("CY", ["cy7"]),  # username, ignoring case
        ("XU D", ["di9"]),  # full name
        ("@FIRM.test", ["bo", "cy7", "di9"]),  # email
        ("  bo  ", ["bo"]),  # surrounding spaces ignored
        ("nobody", []),
    ],
)
def test_list_users_searches_username_full_name_and_email(
    merchant, people, q, expected
):
    assert usernames(list_users(merchant=merchant, q=q)) == expected


def test_list_users_filters_by_status(merchant, people):
    assert usernames(list_users(merchant=merchant, status="active")) == [
        "admin",
        "bo",
        "cy7",
    ]
    assert usernames(list_users(merchant=merchant, status="inactive")) == ["di9"]
    assert len(list_users(merchant=merchant, status="bogus").rows) == 4


def test_list_users_filters_by_role(merchant, people):
    page = list_users(merchant=merchant, role_id=people["clerk"].pk)

    assert usernames(page) == ["bo", "di9"]


def test_list_users_matches_nobody_for_another_firms_role(
    merchant, other_merchant, people
):
    foreign = RoleFactory(merchant=other_merchant)
    UserFactory(merchant=other_merchant, role=foreign)

    assert list_users(merchant=merchant, role_id=foreign.pk).rows == []


def test_list_users_pages_forward_and_back(merchant, people):
    first = list_users(merchant=merchant, size=3)
    second = list_users(merchant=merchant, size=3, after=first.next_cursor)
    back = list_users(merchant=merchant, size=3, before=second.prev_cursor)

    assert usernames(first) == ["admin", "bo", "cy7"]
    assert usernames(second) == ["di9"]
    assert second.next_cursor is None
    assert usernames(back) == ["admin", "bo", "cy7"]


def test_list_users_ignores_a_garbage_cursor(merchant, people):
    page = list_users(merchant=merchant, after="%%not-a-cursor", before="x")

    assert usernames(page) == ["admin", "bo", "cy7", "di9"]


def test_list_users_marks_locked_users(merchant, people):
    lock_out("CY7")

    page = list_users(merchant=merchant)

    assert {u.username: u.is_locked for u in page.rows} == {
        "admin": False,
        "bo": False,
        "cy7": True,
        "di9": False,
    }


def test_list_users_takes_two_queries(merchant, people, django_assert_num_queries):
    with django_assert_num_queries(2):
        list_users(merchant=merchant)


def test_locked_usernames_ignores_case(merchant, admin_role):
    UserFactory(merchant=merchant, role=admin_role, username="Jo2")
    lock_out("jO2")

    assert locked_usernames(["Jo2"]) == {"jo2"}


def test_locked_usernames_ignores_failures_below_the_limit(people):
    lock_out("bo")
    # Nine failures of cy7: one short of a lockout.
    for _ in range(9):
        authenticate(
            RequestFactory().post("/", {"username": "cy7"}),
            username="cy7",
            password="wrong-password-1",
        )

    assert locked_usernames(["bo", "cy7", "admin"]) == {"bo"}


def test_locked_usernames_adds_up_failures_from_several_addresses(people):
    for address in ["10.0.0.1", "10.0.0.2"]:
        for _ in range(5):
            authenticate(
                RequestFactory().post("/", {"username": "bo"}, REMOTE_ADDR=address),
                username="bo",
                password="wrong-password-1",
            )

    assert locked_usernames(["bo"]) == {"bo"}


def test_locked_usernames_forgets_lockouts_after_30_minutes(people, time_machine):
    time_machine.move_to(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False)
    lock_out("bo")

    time_machine.move_to(datetime(2026, 5, 1, 12, 29, 59, tzinfo=UTC), tick=False)
    assert locked_usernames(["bo"]) == {"bo"}
    time_machine.move_to(datetime(2026, 5, 1, 12, 30, tzinfo=UTC), tick=False)
    assert locked_usernames(["bo"]) == set()


def test_locked_usernames_of_nothing_is_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert locked_usernames([]) == set()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("email", ("email", False)),
        ("-last_login", ("last_login", True)),
        ("-", ("username", False)),
        ("--email", ("username", False)),
    ],
)
def test_parse_sort(sort, expected):
    assert parse_sort(sort) == expected
