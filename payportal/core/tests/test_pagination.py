from datetime import UTC, datetime, timedelta

import pytest

from payportal.accounts.models import User
from payportal.accounts.tests.factories import UserFactory
from payportal.core.pagination import decode_cursor, encode_cursor, keyset_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(merchant, admin_role):
    # Five users; two never signed in (null last_login).
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = []
    for i, name in enumerate(["eve", "bob", "dan", "amy", "cat"]):
        last = None if i in (1, 3) else start + timedelta(days=i)
        made.append(
            UserFactory(
                merchant=merchant, role=admin_role, username=name, last_login=last
            )
        )
    return made


def walk(key, descending, size=2):
    qs = User.objects.all()
    seen, cursor, pages = [], None, 0
    while True:
        page = keyset_page(qs, key=key, descending=descending, after=cursor, size=size)
        seen += [u.username for u in page.rows]
        pages += 1
        if not page.next_cursor:
            return seen, pages
        cursor = page.next_cursor


def test_keyset_page_walks_every_row_once_ascending(users):
    assert walk("username", False) == (["amy", "bob", "cat", "dan", "eve"], 3)


def test_keyset_page_walks_every_row_once_descending(users):
    assert walk("username", True) == (["eve", "dan", "cat", "bob", "amy"], 3)


def test_keyset_page_handles_nulls_in_both_directions(users):
    ascending, _ = walk("last_login", False)
    descending, _ = walk("last_login", True)

    # NULLs (never signed in) sort as the smallest, on every database.
    assert ascending == ["bob", "amy", "eve", "dan", "cat"]
    assert descending == ["cat", "dan", "eve", "amy", "bob"]


@pytest.mark.parametrize("descending", [False, True])
def test_keyset_page_goes_back_over_nulls(users, descending):
    qs = User.objects.all()
    pages = [keyset_page(qs, key="last_login", descending=descending, size=2)]
    while pages[-1].next_cursor:
        pages.append(
            keyset_page(
                qs,
                key="last_login",
                descending=descending,
                after=pages[-1].next_cursor,
                size=2,
            )
        )

    for index in range(len(pages) - 1, 0, -1):
        back = keyset_page(
            qs,
            key="last_login",
            descending=descending,
            before=pages[index].prev_cursor,
            size=2,
        )
        assert [u.pk for u in back.rows] == [u.pk for u in pages[index - 1].rows]


def test_keyset_page_goes_back_with_before_cursor(users):
    qs = User.objects.all()
    first = keyset_page(qs, key="username", size=2)
    second = keyset_page(qs, key="username", after=first.next_cursor, size=2)

    back = keyset_page(qs, key="username", before=second.prev_cursor, size=2)

    assert [u.username for u in back.rows] == ["amy", "bob"]
    assert back.next_cursor is not None
    assert first.prev_cursor is None
    assert second.prev_cursor is not None


def test_keyset_page_ignores_a_garbage_cursor(users):
    page = keyset_page(
        User.objects.all(), key="username", after="%%%not-a-cursor", size=2
    )

    assert [u.username for u in page.rows] == ["amy", "bob"]


def test_cursor_round_trips_datetime_values():
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)

    assert decode_cursor(User, "last_login", encode_cursor(when, 9)) == (when, 9)
    assert decode_cursor(User, "last_login", encode_cursor(None, 9)) == (None, 9)
