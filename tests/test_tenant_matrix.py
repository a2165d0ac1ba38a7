"""The tenant matrix: another firm's ids, in every place an id goes.

Object URLs answer 404 (DESIGN §3: no existence leak), whichever role asks
and whichever of the route's ids is the foreign one; form fields that take
an id refuse a foreign one next to the field; no page or export shows a
row of another firm. tests/test_walkers.py tries the Administrator with
every id foreign; this file adds every role, mixed ids, forms and pages.
"""

import pytest

from conftest import PortalClient
from payportal.accounts.models import User
from payportal.accounts.tests.factories import RoleFactory, UserFactory
from payportal.accounts.tests.html import field_errors, text
from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.core.pagination import encode_cursor
from payportal.payments.models import Payment
from payportal.payments.tests.factories import PaymentFactory, RefundFactory
from tests import matrix

pytestmark = pytest.mark.django_db

# Seeded in every free-text field of the other firm's rows. Pages search
# for MARKER (and echo the search); SECRET must never appear.
MARKER = "Zanzibarquux"
SECRET = "Ylvarrow"


@pytest.fixture
def own_ids(merchant):
    return matrix.object_ids(merchant)


@pytest.fixture
def other_ids(other_merchant):
    return matrix.object_ids(other_merchant)


def _roles_allowed(name: str) -> list[str]:
    # A role without the permission gets 403 before any lookup, for its own
    # firm's ids as for another's: that tells nothing either.
    return [
        role
        for role in matrix.ROLES
        if matrix.holds(role, matrix.URLS[name].permission)
    ]


CELLS = [
    (name, role, method)
    for name in matrix.OBJECT_URLS
    for method in ("get", "post")
    for role in _roles_allowed(name)
]


@pytest.mark.parametrize(("name", "role", "method"), CELLS)
def test_tenant_object_urls_are_404_for_every_role(
    name, role, method, merchant, other_ids
):
    client = _client_as(merchant, role)
    path = matrix.path_of(name, other_ids)

    response = _request(client, method, path)

    assert response.status_code == 404, path


def _mixed(name: str) -> list[str]:
    # The ids a route names; with two or more, each can be the foreign one.
    route = matrix.ALL_URLS[name]
    return [key for key in ("dispute_id", "file_id") if f"<int:{key}>" in route]


MIXED = [
    (name, key, method)
    for name in matrix.OBJECT_URLS
    if len(_mixed(name)) > 1
    for key in _mixed(name)
    for method in ("get", "post")
]


@pytest.mark.parametrize(("name", "foreign", "method"), MIXED)
def test_tenant_one_foreign_id_among_own_ids_is_404(
    name, foreign, method, admin_client, own_ids, other_ids
):
    ids = {**own_ids, foreign: other_ids[foreign]}
    path = matrix.path_of(name, ids)

    response = _request(admin_client, method, path)

    assert response.status_code == 404, path


def test_tenant_evidence_file_of_another_dispute_of_the_same_firm_is_404(
    admin_client, merchant
):
    first = matrix.object_ids(merchant)
    second = matrix.object_ids(merchant)
    path = f"/chargebacks/{first['dispute_id']}/files/{second['file_id']}/"

    response = _request(admin_client, "get", path)

    assert response.status_code == 404


def _client_as(merchant, role):
    client = PortalClient()
    client.force_login(matrix.make_user(merchant, role))
    return client


def _request(client, method, path):
    response = client.get(path) if method == "get" else client.post(path, {})
    response.close()
    return response


# -- Form fields that take an id ------------------------------------------


def test_tenant_user_add_refuses_another_firms_role(
    admin_client, other_merchant, password
):
    foreign = RoleFactory(merchant=other_merchant, name=f"{MARKER} role")

    response = admin_client.post(
        "/users/add/",
        {
            "role": foreign.pk,
            "username": "newperson",
            "password_mode": "password",
            "password": "Quiet-meadow-42-river",
            "confirm_password": "Quiet-meadow-42-river",
            "full_name": "New Person",
            "email": "new@example.com",
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "role") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert MARKER not in text(response)
    assert User.objects.filter(username__iexact="newperson").exists() is False


def test_tenant_user_edit_refuses_another_firms_role(
    admin_client, merchant, other_merchant
):
    own_role = RoleFactory(merchant=merchant, permissions=["payments.view"])
    jo = UserFactory(merchant=merchant, role=own_role, username="jo")
    foreign = RoleFactory(merchant=other_merchant, name=f"{MARKER} role")

    response = admin_client.post(
        f"/users/{jo.pk}/edit/",
        {
            "role": foreign.pk,
            "full_name": jo.full_name,
            "email": jo.email,
            "is_active": "active",
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "role") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert MARKER not in text(response)
    jo.refresh_from_db()
    assert jo.role == own_role


def test_tenant_users_role_filter_ignores_another_firms_role(
    admin_client, other_merchant
):
    foreign = RoleFactory(merchant=other_merchant, name=f"{MARKER} role")
    UserFactory(merchant=other_merchant, role=foreign, full_name=f"{MARKER} Person")
    UserFactory(merchant=other_merchant, role=foreign, username=MARKER)

    response = admin_client.get(f"/users/?role={foreign.pk}")

    # A list answers any query string: the unknown role is no filter at all.
    assert response.status_code == 200
    assert MARKER not in text(response)
    assert "Ada Admin" in text(response)


# -- No page or export shows another firm's rows --------------------------


@pytest.fixture
def foreign_rows(other_merchant):
    """The other firm's rows, each with MARKER in its free text."""
    role = RoleFactory(merchant=other_merchant, name=f"{SECRET} role")
    person = UserFactory(
        merchant=other_merchant,
        role=role,
        username=MARKER,
        full_name=f"{MARKER} {SECRET}",
        email=f"{MARKER.lower()}.{SECRET.lower()}@example.com",
    )
    payment = PaymentFactory(
        merchant=other_merchant,
        processor_ref=f"py_{SECRET}",
        cardholder_name=f"{MARKER} {SECRET}",
        client_name=f"{MARKER} {SECRET}",
        reference=MARKER,
        description=f"{MARKER} {SECRET}",
        payer_email=f"{MARKER.lower()}.{SECRET.lower()}@payer.example",
    )
    RefundFactory(
        payment=payment,
        processor_ref=f"re_{SECRET}",
        note=f"{MARKER} {SECRET}",
        created_by=person,
    )
    return person


# GET pages of the firm's own that take query strings, with the marker as
# the search, so that a search that leaked across firms would find it.
SEARCHES = {
    "accounts:user_list": f"?q={MARKER}",
    "payments:payment_list": f"?q={MARKER}",
    "payments:payment_export": f"?q={MARKER}",
    "payments:refund_list": f"?q={MARKER}",
}
# Every export; a URL whose name says export must be listed here.
EXPORTS = {
    "payments:payment_export": (
        f"?q={MARKER}",
        "?status=succeeded",
        "?date_from=2000-01-01&date_to=2100-01-01",
        "?account=operating",
        "",
    ),
    "accounts:user_access_review": ("",),
    "audit:event_export": (
        "?date_from=2000-01-01&date_to=2100-01-01&format=csv",
        "?date_from=2000-01-01&date_to=2100-01-01&format=json",
    ),
}


def test_tenant_exports_table_knows_every_export():
    exports = {
        name
        for name, route in matrix.ALL_URLS.items()
        if "export" in name or "export" in route or route.endswith((".csv", ".json"))
    }

    assert exports == set(EXPORTS)


@pytest.mark.parametrize(
    ("name", "query"),
    [(name, query) for name, queries in EXPORTS.items() for query in queries],
)
def test_tenant_exports_hold_only_the_firms_rows(
    name, query, admin_client, merchant, foreign_rows
):
    PaymentFactory(merchant=merchant, reference="OWN-1")
    path = matrix.fill(matrix.ALL_URLS[name], {}) + query

    response = admin_client.get(path)

    assert response.status_code == 200
    body = (
        b"".join(response.streaming_content)
        if response.streaming
        else (response.content)
    )
    response.close()
    assert SECRET.encode() not in body
    assert SECRET.lower().encode() not in body
    if name == "payments:payment_export" and "q=" not in query:
        assert b"OWN-1" in body


GET_PAGES = [
    name
    for name in matrix.TABLED
    if matrix.URLS[name].permission not in (matrix.PUBLIC,)
    and matrix.URLS[name].get == 200
]


@pytest.mark.parametrize("name", GET_PAGES)
def test_tenant_pages_never_show_another_firms_rows(
    name, admin_client, own_ids, foreign_rows
):
    path = matrix.fill(matrix.ALL_URLS[name], own_ids) + SEARCHES.get(
        name, matrix.URLS[name].query
    )

    response = admin_client.get(path)

    assert response.status_code == 200, path
    body = (
        b"".join(response.streaming_content)
        if response.streaming
        else (response.content)
    )
    response.close()
    assert SECRET.encode() not in body
    assert SECRET.lower().encode() not in body


# -- The audit log's User filter takes a user id ---------------------------


@pytest.fixture
def foreign_event(other_merchant, foreign_rows):
    return record_event(
        action=actions.USER_CREATED,
        merchant=other_merchant,
        actor=foreign_rows,
        target=foreign_rows,
        changes={"full_name": [None, f"{MARKER} {SECRET}"]},
    )


def test_tenant_audit_user_filter_refuses_another_firms_user(
    admin_client, foreign_rows, foreign_event
):
    response = admin_client.get(f"/audit/?user={foreign_rows.pk}")

    assert response.status_code == 200
    assert field_errors(response, "user") == [
        f"Select a valid choice. {foreign_rows.pk} is not one of the available choices."
    ]
    assert SECRET not in text(response)


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_tenant_audit_export_never_holds_another_firms_events(
    admin_client, foreign_rows, foreign_event, kind
):
    query = f"date_from=2000-01-01&date_to=2100-01-01&format={kind}"

    mine = admin_client.get(f"/audit/export/?{query}")
    theirs = admin_client.get(f"/audit/export/?{query}&user={foreign_rows.pk}")

    assert mine.status_code == 200
    body = b"".join(mine.streaming_content) if mine.streaming else mine.content
    mine.close()
    assert SECRET.encode() not in body
    # Another firm's user is no valid filter: back to the page's message.
    assert theirs.status_code == 302
    assert theirs["Location"].startswith("/audit/?")


# -- Keyset cursors name a row: one of another firm's moves no boundary ----

LIST_PAGES = [
    name
    for name in (
        "accounts:user_list",
        "audit:event_list",
        "payments:payment_list",
        "payments:refund_list",
        "payments:approval_list",
        "payments:dispute_list",
    )
    if name in matrix.ALL_URLS
]


@pytest.mark.parametrize("direction", ["after", "before"])
@pytest.mark.parametrize("name", LIST_PAGES)
def test_tenant_list_cursor_of_another_firms_row_shows_only_the_firms_rows(
    name, direction, admin_client, merchant, foreign_rows, other_merchant
):
    PaymentFactory(merchant=merchant)
    foreign_pk = Payment.objects.get(merchant=other_merchant).pk
    for value in ("2000-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00", None):
        cursor = encode_cursor(value, foreign_pk)
        path = matrix.fill(matrix.ALL_URLS[name], {})

        response = admin_client.get(f"{path}?{direction}={cursor}")

        assert response.status_code == 200
        assert SECRET not in text(response)
