import re

import pytest
from django.contrib.messages import get_messages

from payportal.accounts.models import Role
from payportal.accounts.permissions import (
    ALL_CODES,
    AUDIT_VIEW,
    DASHBOARD_VIEW,
    DISPUTES_RESPOND,
    PAYMENTS_EXPORT,
    PAYMENTS_VIEW,
    REFUNDS_APPROVE,
    REFUNDS_CREATE,
    USERS_MANAGE,
)
from payportal.accounts.tests.factories import RoleFactory, UserFactory
from payportal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NO_USERS_MANAGE = [code for code in ALL_CODES if code != USERS_MANAGE]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Roles page -----------------------------------------------------------


def test_role_list_works(admin_client, merchant, admin):
    role = RoleFactory(
        merchant=merchant,
        name="Bookkeeper",
        description="Reconciles payments.",
        permissions=[DASHBOARD_VIEW, PAYMENTS_VIEW, AUDIT_VIEW, USERS_MANAGE],
    )
    UserFactory(merchant=merchant, role=role)
    UserFactory(merchant=merchant, role=role, is_active=False)

    response = admin_client.get("/roles/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Roles</h1>" in html
    assert 'href="/roles/add/"' in html
    assert "Add Role" in html
    assert [
        (row["role"].name, row["role"].user_count) for row in response.context["rows"]
    ] == [("Administrator", 1), ("Bookkeeper", 2)]
    assert f'<tr data-href="/roles/{role.pk}/">' in html
    assert (
        "View dashboard, View transactions, Manage users and roles and 1 more" in html
    )
    assert "4 of 9" in html
    assert "Reconciles payments." in html


def test_role_list_shows_only_own_firms_roles(admin_client, other_merchant):
    RoleFactory(merchant=other_merchant, name="Their Role")

    response = admin_client.get("/roles/")

    assert [row["role"].name for row in response.context["rows"]] == ["Administrator"]
    assert b"Their Role" not in response.content


def test_role_list_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/roles/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/roles/"


def test_role_list_403s_without_permission(client_as, user_with):
    response = client_as(user_with(*NO_USERS_MANAGE)).get("/roles/")

    assert response.status_code == 403


def test_role_list_rejects_post(admin_client):
    response = admin_client.post("/roles/")

    assert response.status_code == 405


@pytest.mark.parametrize("rows", (1, 3))
def test_role_list_query_count_is_constant(
    db_sessions, admin_client, merchant, rows, django_assert_num_queries
):
    for _ in range(rows):
        role = RoleFactory(merchant=merchant, permissions=[PAYMENTS_VIEW])
        UserFactory(merchant=merchant, role=role)

    # Session, user with merchant and role (one join), the roles with their
    # user counts in one query, then the session save (savepoint, update,
    # release).
    # +1: the session's check of the user's second factors.
    with django_assert_num_queries(7):
        response = admin_client.get("/roles/")

    assert len(response.context["rows"]) == rows + 1


# --- Add Role ------------------------------------------------------------


def test_role_add_works(admin_client, merchant):
    response = admin_client.get("/roles/add/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Add Role</h1>" in html
    assert 'class="permission-list"' in html
    assert "Download transactions as CSV." in html


def test_role_add_shows_approve_refunds(admin_client):
    html = admin_client.get("/roles/add/").content.decode()

    index = ALL_CODES.index(REFUNDS_APPROVE)
    assert (
        f'<input type="checkbox" name="permissions" value="{REFUNDS_APPROVE}" '
        f'id="id_permissions_{index}">'
    ) in html
    assert (
        "<span>Approve refunds<small>Approve or reject another user&#x27;s refund "
        "that needs a second person.</small></span>"
    ) in html


def checked_codes(html: str) -> list[str]:
    return re.findall(r'name="permissions" value="([a-z._]+)"[^>]*checked', html)


def test_role_add_offers_presets(admin_client):
    response = admin_client.get("/roles/add/")

    html = response.content.decode()
    assert [p["key"] for p in response.context["presets"]] == [
        "operator",
        "viewer",
        "user-admin",
        "reporting",
    ]
    assert (
        '<a href="/roles/add/?preset=operator"><strong>Operator</strong>'
        "<small>View dashboard, View transactions, Issue refunds, Respond to "
        "chargebacks</small></a>"
    ) in html
    assert '<a href="/roles/add/?preset=user-admin"><strong>User admin</strong>' in (
        html
    )
    assert 'aria-current="true"' not in html
    assert checked_codes(html) == []


@pytest.mark.parametrize(
    ("preset", "name", "codes"),
    [
        (
            "operator",
            "Operator",
            [DASHBOARD_VIEW, PAYMENTS_VIEW, REFUNDS_CREATE, DISPUTES_RESPOND],
        ),
        ("viewer", "Viewer", [DASHBOARD_VIEW, PAYMENTS_VIEW]),
        ("user-admin", "User admin", [USERS_MANAGE, AUDIT_VIEW]),
        ("reporting", "Reporting", [DASHBOARD_VIEW, PAYMENTS_VIEW, PAYMENTS_EXPORT]),
    ],
)
def test_role_add_preset_prefills_the_form(admin_client, preset, name, codes):
    response = admin_client.get(f"/roles/add/?preset={preset}")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(rf'<input type="text" name="name" value="{name}"', html)
    assert checked_codes(html) == codes
    assert (
        f'<a href="/roles/add/?preset={preset}" aria-current="true">'
        f"<strong>{name}</strong>"
    ) in html


def test_role_add_user_admin_preset_sees_no_card_data(admin_client):
    response = admin_client.get("/roles/add/?preset=user-admin")

    initial = response.context["form"].initial
    assert initial["description"] == (
        "Manages users and roles and reads the audit log; sees no card data."
    )
    assert PAYMENTS_VIEW not in initial["permissions"]
    assert "Manages users and roles and reads the audit log; sees no card data." in (
        response.content.decode()
    )


def test_role_add_ignores_unknown_preset(admin_client):
    response = admin_client.get("/roles/add/?preset=superuser")

    assert response.status_code == 200
    assert response.context["form"].initial == {}
    assert checked_codes(response.content.decode()) == []


def test_role_add_saves_a_preset_as_submitted(admin_client, merchant):
    response = admin_client.post(
        "/roles/add/?preset=operator",
        {
            "name": "Front desk",
            "description": "Takes payments.",
            "permissions": [DASHBOARD_VIEW, PAYMENTS_VIEW, REFUNDS_CREATE],
        },
    )

    role = Role.objects.get(merchant=merchant, name="Front desk")
    assert response.status_code == 302
    assert role.permissions == [DASHBOARD_VIEW, PAYMENTS_VIEW, REFUNDS_CREATE]


def test_role_add_creates_role(admin_client, merchant, admin):
    response = admin_client.post(
        "/roles/add/",
        {
            "name": "Bookkeeper",
            "description": "Reconciles payments.",
            "permissions": [PAYMENTS_VIEW, DASHBOARD_VIEW],
        },
    )

    role = Role.objects.get(merchant=merchant, name="Bookkeeper")
    assert response.status_code == 302
    assert response["Location"] == f"/roles/{role.pk}/"
    assert role.permissions == [DASHBOARD_VIEW, PAYMENTS_VIEW]
    assert role.description == "Reconciles payments."
    assert messages_of(response) == ["Role “Bookkeeper” added."]
    event = AuditEvent.objects.get(action="role.created")
    assert event.actor == admin
    assert event.ip_address == "127.0.0.1"


def test_role_add_shows_error_next_to_field(admin_client, merchant):
    RoleFactory(merchant=merchant, name="Bookkeeper")

    response = admin_client.post(
        "/roles/add/",
        {
            "name": "bookkeeper",
            "description": "Typed text",
            "permissions": [AUDIT_VIEW],
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<ul class="errors" id="id_name_error">'
        "<li>A role with this name already exists.</li></ul>"
    ) in html
    # What was typed is kept.
    assert 'value="bookkeeper"' in html
    assert "Typed text</textarea>" in html
    assert f'value="{AUDIT_VIEW}" id="id_permissions_7" checked' in html
    assert Role.objects.filter(merchant=merchant).count() == 2


def test_role_add_refuses_unknown_permission_next_to_field(admin_client, merchant):
    response = admin_client.post(
        "/roles/add/", {"name": "Bookkeeper", "permissions": ["payments.delete"]}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "permissions": [
            "Select a valid choice. payments.delete is not one of the available "
            "choices."
        ]
    }
    assert Role.objects.filter(name="Bookkeeper").exists() is False


def test_role_add_requires_name(admin_client):
    response = admin_client.post("/roles/add/", {"name": ""})

    assert response.context["form"].errors == {"name": ["This field is required."]}


def test_role_add_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/roles/add/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/roles/add/"


def test_role_add_403s_without_permission(client_as, user_with, merchant):
    client = client_as(user_with(*NO_USERS_MANAGE))

    response = client.post("/roles/add/", {"name": "Sneaky"})

    assert response.status_code == 403
    assert Role.objects.filter(name="Sneaky").exists() is False


# --- Role record ---------------------------------------------------------


def test_role_detail_works(admin_client, merchant):
    role = RoleFactory(
        merchant=merchant,
        name="Bookkeeper",
        description="Reconciles payments.",
        permissions=[PAYMENTS_VIEW],
    )
    holder = UserFactory(
        merchant=merchant, role=role, username="bkeeper", full_name="Bo Keeper"
    )

    response = admin_client.get(f"/roles/{role.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Bookkeeper</h1>" in html
    assert "Reconciles payments." in html
    assert (
        f'<a class="icon-btn" href="/roles/{role.pk}/edit/" aria-label="Edit" '
        'title="Edit"'
    ) in html
    assert [p for p in response.context["permissions"] if p["held"]] == [
        {"label": "View transactions", "held": True}
    ]
    assert f'<a href="/users/{holder.pk}/">bkeeper</a>' in html
    assert "Bo Keeper" in html
    # Held by a user: no way to delete it.
    assert f'action="/roles/{role.pk}/delete/"' not in html
    assert "This role is held by 1 user, so it can't be deleted." in html


def test_role_detail_lists_twenty_holders_and_counts_the_rest(admin_client, merchant):
    role = RoleFactory(merchant=merchant)
    UserFactory.create_batch(22, merchant=merchant, role=role)

    response = admin_client.get(f"/roles/{role.pk}/")

    assert len(response.context["members"]) == 20
    assert response.context["more"] == 2
    assert "and 2 more" in response.content.decode()


def test_role_detail_offers_delete_when_nobody_holds_it(admin_client, merchant):
    role = RoleFactory(merchant=merchant, name="Spare")

    response = admin_client.get(f"/roles/{role.pk}/")

    html = response.content.decode()
    assert (
        f'<form method="post" action="/roles/{role.pk}/delete/" '
        'data-confirm="Delete the role “Spare”? This can\'t be undone.">'
    ) in html


def test_role_detail_shows_approve_refunds(admin_client, merchant):
    role = RoleFactory(merchant=merchant, permissions=[REFUNDS_APPROVE])

    response = admin_client.get(f"/roles/{role.pk}/")

    assert [p for p in response.context["permissions"] if p["held"]] == [
        {"label": "Approve refunds", "held": True}
    ]
    assert '<span>Approve refunds</span><span class="visually-hidden"> (included)' in (
        response.content.decode()
    )


def test_role_detail_shows_administrator_fixed(admin_client, admin_role):
    response = admin_client.get(f"/roles/{admin_role.pk}/")

    html = response.content.decode()
    assert all(p["held"] for p in response.context["permissions"])
    assert "Administrator always has every permission." in html
    assert "The Administrator role can't be deleted." in html
    assert "/delete/" not in html


def test_role_detail_returns_fragment_for_htmx(admin_client, merchant):
    role = RoleFactory(merchant=merchant, name="Bookkeeper")

    response = admin_client.get(f"/roles/{role.pk}/", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="role-record">')
    assert "<html" not in html
    assert "<h1>Bookkeeper</h1>" in html
    assert response["Vary"] == "HX-Request, Cookie"


def test_role_detail_redirects_anonymous_to_login(anon_client, admin_role):
    response = anon_client.get(f"/roles/{admin_role.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/?next=/roles/{admin_role.pk}/"


def test_role_detail_404s_for_other_merchant(admin_client, other_merchant):
    role = RoleFactory(merchant=other_merchant)

    response = admin_client.get(f"/roles/{role.pk}/")

    assert response.status_code == 404


def test_role_detail_403s_without_permission(client_as, user_with, admin_role):
    response = client_as(user_with(*NO_USERS_MANAGE)).get(f"/roles/{admin_role.pk}/")

    assert response.status_code == 403


def test_role_detail_rejects_post(admin_client, admin_role):
    response = admin_client.post(f"/roles/{admin_role.pk}/")

    assert response.status_code == 405


# --- Edit ----------------------------------------------------------------


def test_role_edit_works(admin_client, merchant):
    role = RoleFactory(merchant=merchant, name="Bookkeeper", permissions=[AUDIT_VIEW])

    response = admin_client.get(f"/roles/{role.pk}/edit/")

    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["form"].initial == {
        "name": "Bookkeeper",
        "description": "",
        "permissions": [AUDIT_VIEW],
    }
    assert (
        '<button type="submit" class="icon-btn icon-btn--save" aria-label="Save" '
        'title="Save">'
    ) in html
    assert (
        f'<a class="icon-btn" href="/roles/{role.pk}/" aria-label="Cancel" '
        'title="Cancel"'
    ) in html


def test_role_edit_saves(admin_client, merchant, admin):
    role = RoleFactory(merchant=merchant, name="Bookkeeper", permissions=[AUDIT_VIEW])

    response = admin_client.post(
        f"/roles/{role.pk}/edit/",
        {"name": "Accounts", "description": "Books", "permissions": [PAYMENTS_VIEW]},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/roles/{role.pk}/"
    assert messages_of(response) == ["Role saved."]
    role.refresh_from_db()
    assert (role.name, role.description, role.permissions) == (
        "Accounts",
        "Books",
        [PAYMENTS_VIEW],
    )
    assert AuditEvent.objects.get(action="role.changed").changes == {
        "name": ["Bookkeeper", "Accounts"],
        "description": ["", "Books"],
        "permissions": [[AUDIT_VIEW], [PAYMENTS_VIEW]],
    }


def test_role_edit_returns_fragment_for_htmx(admin_client, merchant):
    role = RoleFactory(merchant=merchant, name="Bookkeeper")

    response = admin_client.get(
        f"/roles/{role.pk}/edit/", headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="role-record">')
    assert "<html" not in html
    assert 'aria-label="Save"' in html


def test_role_edit_saves_with_htmx_and_returns_record(admin_client, merchant):
    role = RoleFactory(merchant=merchant, name="Bookkeeper")

    response = admin_client.post(
        f"/roles/{role.pk}/edit/",
        {"name": "Accounts", "description": "", "permissions": []},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"/roles/{role.pk}/"
    html = response.content.decode()
    assert "<html" not in html
    assert "<h1>Accounts</h1>" in html
    assert '<div class="alert alert--success" role="status">Role saved.</div>' in html
    assert messages_of(response) == []


def test_role_edit_shows_error_next_to_field(admin_client, merchant):
    RoleFactory(merchant=merchant, name="Accounts")
    role = RoleFactory(merchant=merchant, name="Bookkeeper")

    response = admin_client.post(
        f"/roles/{role.pk}/edit/", {"name": "ACCOUNTS", "description": "Typed"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<ul class="errors" id="id_name_error">'
        "<li>A role with this name already exists.</li></ul>"
    ) in html
    assert 'value="ACCOUNTS"' in html
    # The page heading keeps the saved name.
    assert "<h1>Bookkeeper</h1>" in html
    role.refresh_from_db()
    assert role.name == "Bookkeeper"


def test_role_edit_refuses_removing_user_management_from_own_role(
    client_as, user_with, merchant
):
    actor = user_with(USERS_MANAGE, DASHBOARD_VIEW)

    response = client_as(actor).post(
        f"/roles/{actor.role.pk}/edit/",
        {"name": actor.role.name, "permissions": [DASHBOARD_VIEW]},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "permissions": ["You can't remove user management from your own role."]
    }
    actor.role.refresh_from_db()
    assert actor.role.permissions == [USERS_MANAGE, DASHBOARD_VIEW]


def test_role_edit_shows_administrator_permissions_ticked_and_disabled(
    admin_client, admin_role
):
    response = admin_client.get(f"/roles/{admin_role.pk}/edit/")

    html = response.content.decode()
    for index, code in enumerate(ALL_CODES):
        assert (
            f'<input type="checkbox" name="permissions" value="{code}" disabled '
            f'id="id_permissions_{index}" checked>'
        ) in html
    assert "Administrator always has every permission." in html
    assert '<input type="text" name="name" value="Administrator"' in html
    assert "The Administrator role keeps its name." in html


def test_role_edit_administrator_keeps_name_and_permissions(admin_client, admin_role):
    response = admin_client.post(
        f"/roles/{admin_role.pk}/edit/",
        {"name": "Boss", "description": "Partners", "permissions": [DASHBOARD_VIEW]},
    )

    assert response.status_code == 302
    admin_role.refresh_from_db()
    assert admin_role.name == "Administrator"
    assert admin_role.description == "Partners"
    assert admin_role.codes == frozenset(ALL_CODES)


def test_role_edit_redirects_anonymous_to_login(anon_client, admin_role):
    response = anon_client.post(f"/roles/{admin_role.pk}/edit/", {"name": "X"})

    assert response.status_code == 302
    assert response["Location"] == f"/?next=/roles/{admin_role.pk}/edit/"


def test_role_edit_404s_for_other_merchant(admin_client, other_merchant):
    role = RoleFactory(merchant=other_merchant, name="Theirs")

    response = admin_client.post(f"/roles/{role.pk}/edit/", {"name": "Mine"})

    assert response.status_code == 404
    role.refresh_from_db()
    assert role.name == "Theirs"


def test_role_edit_403s_without_permission(client_as, user_with, merchant):
    role = RoleFactory(merchant=merchant, name="Bookkeeper")

    response = client_as(user_with(*NO_USERS_MANAGE)).post(
        f"/roles/{role.pk}/edit/", {"name": "Changed"}
    )

    assert response.status_code == 403
    role.refresh_from_db()
    assert role.name == "Bookkeeper"


# --- Delete --------------------------------------------------------------


def test_role_delete_works(admin_client, merchant):
    role = RoleFactory(merchant=merchant, name="Spare")

    response = admin_client.post(f"/roles/{role.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == "/roles/"
    assert Role.objects.filter(pk=role.pk).exists() is False
    assert messages_of(response) == ["Role “Spare” deleted."]
    assert AuditEvent.objects.filter(action="role.deleted").count() == 1


def test_role_delete_refuses_role_in_use(admin_client, merchant):
    role = RoleFactory(merchant=merchant)
    UserFactory.create_batch(2, merchant=merchant, role=role)

    response = admin_client.post(f"/roles/{role.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == f"/roles/{role.pk}/"
    assert messages_of(response) == [
        "This role is held by 2 users. Give them another role first."
    ]
    assert Role.objects.filter(pk=role.pk).exists() is True


def test_role_delete_refuses_administrator(admin_client, admin_role):
    response = admin_client.post(f"/roles/{admin_role.pk}/delete/")

    assert response.status_code == 302
    assert messages_of(response) == ["The Administrator role can't be deleted."]
    assert Role.objects.filter(pk=admin_role.pk).exists() is True


def test_role_delete_rejects_get(admin_client, merchant):
    role = RoleFactory(merchant=merchant)

    response = admin_client.get(f"/roles/{role.pk}/delete/")

    assert response.status_code == 405
    assert Role.objects.filter(pk=role.pk).exists() is True


def test_role_delete_redirects_anonymous_to_login(anon_client, merchant):
    role = RoleFactory(merchant=merchant)

    response = anon_client.post(f"/roles/{role.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == f"/?next=/roles/{role.pk}/delete/"
    assert Role.objects.filter(pk=role.pk).exists() is True


def test_role_delete_404s_for_other_merchant(admin_client, other_merchant):
    role = RoleFactory(merchant=other_merchant)

    response = admin_client.post(f"/roles/{role.pk}/delete/")

    assert response.status_code == 404
    assert Role.objects.filter(pk=role.pk).exists() is True


def test_role_delete_403s_without_permission(client_as, user_with, merchant):
    role = RoleFactory(merchant=merchant)

    response = client_as(user_with(*NO_USERS_MANAGE)).post(f"/roles/{role.pk}/delete/")

    assert response.status_code == 403
    assert Role.objects.filter(pk=role.pk).exists() is True
