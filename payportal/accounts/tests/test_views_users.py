import re
from datetime import UTC, datetime

import factory
import pytest

from payportal.accounts import lockout
from payportal.accounts.models import User
from payportal.accounts.permissions import ALL_CODES
from payportal.accounts.services.users import OWN_ROLE, OWN_STATUS, USERNAME_TAKEN
from payportal.accounts.tests.factories import PASSWORD, RoleFactory, UserFactory
from payportal.accounts.tests.html import field_errors, input_value, text
from payportal.accounts.tests.lockouts import lock_out
from payportal.audit import actions
from payportal.audit.models import AuditEvent
from payportal.core import search

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Copper-kettle-42-morning"
HTMX = {"HX-Request": "true"}
USERNAME_RULE = (
    "Usernames are 3 to 30 letters (A-Z) and numbers only: "
    "no spaces, symbols or email addresses."
)
INVALID_CHOICE = (
    "Select a valid choice. That choice is not one of the available choices."
)


@pytest.fixture
def clerk_role(merchant):
    return RoleFactory(merchant=merchant, name="Clerk", permissions=["payments.view"])


@pytest.fixture
def jo(merchant, admin, clerk_role):
    return UserFactory(
        merchant=merchant,
        role=clerk_role,
        username="jo2",
        full_name="Jo Doe",
        email="jo@firm.com",
        created_by=admin,
    )


@pytest.fixture
def stranger(other_merchant):
    return UserFactory(merchant=other_merchant, username="stranger")


@pytest.fixture
def no_permission_client(client_as, user_with):
    return client_as(user_with(*[c for c in ALL_CODES if c != "users.manage"]))


def add_form(**overrides):
    data = {
        "role": "",
        "username": "jo2",
        "password_mode": "password",
        "password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
        "full_name": "Jo Doe",
        "email": "jo@firm.com",
    }
    data.update(overrides)
    return data


def edit_form(user, **overrides):
    data = {
        "role": user.role_id,
        "full_name": user.full_name,
        "email": user.email,
        "is_active": "active" if user.is_active else "inactive",
    }
    data.update(overrides)
    return data


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- Users page --------------------------------------------------------------


def test_user_list_works(admin_client, admin, jo):
    response = admin_client.get("/users/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Users</h1>" in page
    assert 'href="/users/add/"' in page and "Add User" in page
    headings = re.findall(r'<th scope="col"[^>]*>\s*(?:<a[^>]*>)?([^<]+)', page)
    assert headings == [
        "Username",
        "Full Name",
        "Email",
        "Role",
        "Status",
        "Last login",
    ]
    row = re.search(rf'<tr data-href="/users/{jo.pk}/">(.*?)</tr>', page, re.S)[1]
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert len(cells) == 6
    assert all(f'href="/users/{jo.pk}/"' in cell for cell in cells)
    assert "jo2" in cells[0]
    assert "Jo Doe" in cells[1]
    assert "jo@firm.com" in cells[2]
    assert "Clerk" in cells[3]
    assert '<span class="badge badge--active">Active</span>' in cells[4]
    assert "Never" in cells[5]


def test_user_list_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/users/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/users/"


def test_user_list_403s_without_permission(no_permission_client):
    assert no_permission_client.get("/users/").status_code == 403


def test_user_list_rejects_post(admin_client):
    assert admin_client.post("/users/").status_code == 405


def test_user_list_shows_only_the_merchants_users(admin_client, stranger):
    assert "stranger" not in text(admin_client.get("/users/"))


def test_user_list_returns_fragment_for_htmx(admin_client, jo):
    response = admin_client.get("/users/?q=jo", headers=HTMX)

    page = text(response)
    assert response.status_code == 200
    assert "<h1>" not in page
    assert "<html" not in page
    assert f'<tr data-href="/users/{jo.pk}/">' in page
    assert '<input type="hidden" name="sort" value="username">' in page
    assert "HX-Request" in response["Vary"]


def test_user_list_gives_the_whole_page_to_a_history_restore(admin_client):
    response = admin_client.get(
        "/users/", headers={**HTMX, "HX-History-Restore-Request": "true"}
    )

    assert "<h1>Users</h1>" in text(response)


def test_user_list_search_form_works_with_and_without_js(admin_client):
    page = text(admin_client.get("/users/"))

    form = re.search(r"<form[^>]*user-list[^>]*>", page, re.S)[0]
    assert 'method="get"' in form
    assert 'action="/users/"' in form
    assert 'hx-get="/users/"' in form
    assert 'hx-target="#results"' in form
    assert (
        'hx-trigger="input changed delay:300ms from:input[name=q], '
        'change from:select, submit"'
    ) in form
    assert 'hx-push-url="true"' in form
    assert '<button type="submit" class="btn">' in page and "Search</button>" in page
    assert '<label for="users-q">Search</label>' in page
    assert '<label for="users-status">Status</label>' in page
    assert '<label for="users-role">Role</label>' in page


@pytest.mark.parametrize("users", [1, 3])
def test_user_list_query_count_is_constant(
    db_sessions, admin_client, merchant, admin_role, users, django_assert_num_queries
):
    UserFactory.create_batch(users - 1, merchant=merchant, role=admin_role)
    lock_out("admin")

    # +1: the session's check of the user's second factors.
    with django_assert_num_queries(9):
        response = admin_client.get("/users/")

    assert len(response.context["page"].rows) == users


def test_user_list_searches(admin_client, jo, admin):
    response = admin_client.get("/users/?q=DOE")

    assert [u.username for u in response.context["page"].rows] == ["jo2"]
    assert input_value(response, "q") == "DOE"


def test_user_list_short_search_says_where_it_stopped(
    admin_client, merchant, admin, clerk_role, monkeypatch
):
    # "wu" has no trigram: a page reads at most search.SCAN users (in
    # username order), and says where it stopped; Next goes on from there.
    monkeypatch.setattr(search, "SCAN", 2)
    for name in ("bea", "cal", "dee", "eli"):
        UserFactory(merchant=merchant, role=clerk_role, username=name, created_by=admin)
    UserFactory(merchant=merchant, role=clerk_role, username="fay", full_name="Fay Wu")

    first = admin_client.get("/users/?q=wu")
    after = first.context["page"].next_cursor
    second = admin_client.get(f"/users/?q=wu&after={after}")
    third = admin_client.get(f"/users/?q=wu&after={second.context['page'].next_cursor}")

    assert first.context["page"].rows == []
    assert "No matching users in this part of the list" in text(first)
    assert "Searched the next 2 rows. Select Next to keep searching." in text(first)
    assert second.context["page"].rows == []
    assert [u.username for u in third.context["page"].rows] == ["fay"]
    assert third.context["page"].next_cursor is None


def test_user_list_filters_by_status_and_role(admin_client, jo, admin, clerk_role):
    jo.is_active = False
    jo.save()

    inactive = admin_client.get("/users/?status=inactive")
    clerks = admin_client.get(f"/users/?role={clerk_role.pk}")

    assert [u.username for u in inactive.context["page"].rows] == ["jo2"]
    assert [u.username for u in clerks.context["page"].rows] == ["jo2"]
    assert f'<option value="{clerk_role.pk}" selected>Clerk</option>' in text(clerks)


def test_user_list_role_filter_lists_only_the_firms_roles(
    admin_client, clerk_role, other_merchant
):
    RoleFactory(merchant=other_merchant, name="Foreign role")

    page = text(admin_client.get("/users/"))

    assert "Clerk" in page
    assert "Foreign role" not in page


@pytest.mark.parametrize(
    "query",
    [
        "?role=999999",
        "?role=abc",
        "?status=maybe",
        "?sort=password",
        "?sort=-",
        "?after=garbage",
        "?before=%FF%FE",
        "?role={foreign}",
    ],
)
def test_user_list_falls_back_to_defaults_for_bad_values(
    admin_client, admin, jo, other_merchant, query
):
    foreign = RoleFactory(merchant=other_merchant)

    response = admin_client.get("/users/" + query.format(foreign=foreign.pk))

    assert response.status_code == 200
    assert [u.username for u in response.context["page"].rows] == ["admin", "jo2"]


def test_user_list_sorts_by_column(admin_client, admin, jo):
    admin.last_login = datetime(2026, 1, 2, tzinfo=UTC)
    admin.save()
    jo.last_login = datetime(2026, 1, 3, tzinfo=UTC)
    jo.save()

    response = admin_client.get("/users/?sort=-last_login")

    assert [u.username for u in response.context["page"].rows] == ["jo2", "admin"]
    page = text(response)
    active = re.search(
        r'<th scope="col" aria-sort="descending">\s*<a href="([^"]+)"', page
    )
    assert active[1] == "/users/?sort=last_login"
    assert page.count("aria-sort=") == 1
    assert '<a href="/users/?sort=username"' in page


def test_user_list_sort_links_keep_the_search_and_drop_the_cursor(admin_client, jo):
    page = text(admin_client.get("/users/?q=jo&sort=email&after=abc"))

    assert 'href="/users/?q=jo&sort=-email"' in page
    assert 'href="/users/?q=jo&sort=username"' in page


def test_user_list_pages_by_50(admin_client, merchant, admin_role):
    UserFactory.create_batch(
        50,
        merchant=merchant,
        role=admin_role,
        username=factory.Sequence(lambda n: f"u{n:03}"),
    )

    first = admin_client.get("/users/")
    after = first.context["page"].next_cursor
    second = admin_client.get(f"/users/?after={after}")

    everyone = sorted(User.objects.values_list("username", flat=True))
    assert [u.username for u in first.context["page"].rows] == everyone[:50]
    assert [u.username for u in second.context["page"].rows] == everyone[50:]
    assert 'rel="next"' in text(first)
    assert 'rel="prev"' not in text(first)
    assert 'rel="prev"' in text(second)


def test_user_list_shows_locked_users(admin_client, jo):
    lock_out("JO2")

    row = re.search(
        rf'<tr data-href="/users/{jo.pk}/">(.*?)</tr>',
        text(admin_client.get("/users/")),
        re.S,
    )[1]

    assert "badge--locked" in row
    assert "Locked</span>" in row


def test_user_list_shows_last_login(admin_client, jo):
    jo.last_login = datetime(2026, 2, 3, 14, 5, tzinfo=UTC)
    jo.save()

    assert '<time datetime="2026-02-03T14:05:00+00:00">3 Feb 2026, 14:05</time>' in (
        text(admin_client.get("/users/"))
    )


def test_user_list_explains_an_empty_search(admin_client):
    response = admin_client.get("/users/?q=zzz")

    assert "No users match “zzz”" in text(response)
    assert response.context["page"].rows == []


def test_user_list_explains_empty_filters(admin_client):
    assert "No users match these filters" in text(
        admin_client.get("/users/?status=inactive")
    )


# --- Add User ----------------------------------------------------------------


def test_user_add_works(admin_client, admin, clerk_role):
    response = admin_client.post(
        "/users/add/", add_form(role=clerk_role.pk), follow=True
    )

    user = User.objects.get(username="jo2")
    assert response.redirect_chain == [(f"/users/{user.pk}/", 302)]
    assert messages_of(response) == [
        "User jo2 added. An invite was sent to jo@firm.com."
    ]
    assert (user.role, user.full_name, user.email) == (
        clerk_role,
        "Jo Doe",
        "jo@firm.com",
    )
    assert user.must_change_password is True
    assert user.check_password(NEW_PASSWORD) is True
    event = AuditEvent.objects.get(action=actions.USER_CREATED)
    assert (event.actor, event.target_id) == (admin, str(user.pk))


def test_user_add_with_a_link(
    admin_client, clerk_role, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/users/add/",
            add_form(
                role=clerk_role.pk,
                password_mode="link",
                password="",
                confirm_password="",
            ),
            follow=True,
        )

    assert messages_of(response) == [
        "User jo2 added. An invite was sent to jo@firm.com "
        "with a link to set a password."
    ]
    assert User.objects.get(username="jo2").has_usable_password() is False
    assert len(mailoutbox) == 1


def test_user_add_shows_fields_in_order(admin_client):
    page = text(admin_client.get("/users/add/"))

    names = re.findall(r'<(?:input|select)[^>]*name="(\w+)"', page)
    names = [n for n in names if n != "csrfmiddlewaretoken"]
    assert list(dict.fromkeys(names)) == [
        "role",
        "username",
        "password_mode",
        "password",
        "confirm_password",
        "full_name",
        "email",
    ]
    assert "Letters and numbers only, 3–30 characters. Not an email address." in page
    assert "Used for the invite and password resets." in page
    assert (
        "At least 15 characters (12 if the firm requires two-step sign-in), "
        "with at least one letter and one digit"
    ) in page
    assert '<div class="password-setup" data-password-mode>' in page
    assert '<div class="password-pair" data-temporary-password>' in page
    assert '<label for="id_confirm_password">Confirm Password</label>' in page
    assert "Email a set-password link (valid 72 hours)" in page
    assert re.search(
        r'<input type="radio" name="password_mode" value="password"[^>]*checked', page
    )


def test_user_add_preselects_the_only_role(admin_client, admin_role):
    page = text(admin_client.get("/users/add/"))

    assert f'<option value="{admin_role.pk}" selected>Administrator</option>' in page
    assert "Choose a role" not in page


def test_user_add_lists_only_the_firms_roles(admin_client, clerk_role, other_merchant):
    RoleFactory(merchant=other_merchant, name="Foreign role")

    page = text(admin_client.get("/users/add/"))

    assert '<option value="" selected>Choose a role</option>' in page
    assert "Clerk" in page
    assert "Foreign role" not in page


def test_user_add_redirects_anonymous_to_login(anon_client):
    response = anon_client.get("/users/add/")

    assert response["Location"] == "/?next=/users/add/"


def test_user_add_403s_without_permission(no_permission_client, clerk_role):
    response = no_permission_client.post("/users/add/", add_form(role=clerk_role.pk))

    assert response.status_code == 403
    assert not User.objects.filter(username="jo2").exists()


@pytest.mark.parametrize(
    "username", ["a@b.com", "ab", "abc def", "ÄBC", "x_y", "a" * 31]
)
def test_user_add_shows_error_next_to_field_for_a_bad_username(
    admin_client, merchant, clerk_role, username
):
    response = admin_client.post(
        "/users/add/", add_form(role=clerk_role.pk, username=username)
    )

    assert response.status_code == 200
    assert field_errors(response, "username") == [USERNAME_RULE]
    assert User.objects.filter(merchant=merchant).count() == 1


@pytest.mark.parametrize("username", ["Jo2", "a" * 30])
def test_user_add_accepts_good_usernames(admin_client, clerk_role, username):
    response = admin_client.post(
        "/users/add/", add_form(role=clerk_role.pk, username=username)
    )

    assert response.status_code == 302
    assert User.objects.filter(username=username).exists()


def test_user_add_shows_error_next_to_field_for_a_taken_username(
    admin_client, jo, clerk_role
):
    response = admin_client.post(
        "/users/add/", add_form(role=clerk_role.pk, username="JO2")
    )

    assert field_errors(response, "username") == [USERNAME_TAKEN]


def test_user_add_twice_creates_one_user(admin_client, merchant, clerk_role):
    data = add_form(role=clerk_role.pk)

    first = admin_client.post("/users/add/", data)
    second = admin_client.post("/users/add/", data)

    assert first.status_code == 302
    assert field_errors(second, "username") == [USERNAME_TAKEN]
    assert User.objects.filter(username__iexact="jo2").count() == 1


def test_user_add_shows_every_wrong_field_at_once(admin_client, clerk_role):
    response = admin_client.post(
        "/users/add/",
        add_form(
            role="",
            username="jo@firm.com",
            password="Zq7",
            confirm_password="Zq8",
            email="jo@firm",
        ),
    )

    assert field_errors(response, "role") == ["Choose a role."]
    assert field_errors(response, "username") == [
        "Usernames are 3 to 30 letters (A-Z) and numbers only: "
        "no spaces, symbols or email addresses."
    ]
    assert field_errors(response, "password") == [
        "This password is too short. It must contain at least 15 characters."
    ]
    assert field_errors(response, "confirm_password") == [
        "The two passwords don't match."
    ]
    assert field_errors(response, "email") == ["Enter a valid email address."]
    assert input_value(response, "username") == "jo@firm.com"
    assert input_value(response, "password") is None
    assert not User.objects.filter(username__iexact="jo@firm.com").exists()


def test_user_add_shows_error_next_to_field_for_different_passwords(
    admin_client, clerk_role
):
    response = admin_client.post(
        "/users/add/",
        add_form(role=clerk_role.pk, confirm_password=NEW_PASSWORD + "x"),
    )

    assert field_errors(response, "confirm_password") == [
        "The two passwords don't match."
    ]
    assert field_errors(response, "password") == []
    assert not User.objects.filter(username="jo2").exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (
            "short1pass",
            "This password is too short. It must contain at least 15 characters.",
        ),
        ("nodigitsinthisone", "This password needs at least one letter and one digit."),
        ("summerpassword2026", "This password is too common."),
        ("harbour2024!", "The password is too similar to the Username."),
    ],
)
def test_user_add_shows_error_next_to_field_for_the_password_policy(
    admin_client, clerk_role, password, message
):
    response = admin_client.post(
        "/users/add/",
        add_form(
            role=clerk_role.pk,
            username="harbour2024",
            password=password,
            confirm_password=password,
        ),
    )

    assert message in field_errors(response, "password")
    assert not User.objects.filter(username="harbour2024").exists()


def test_user_add_needs_both_passwords_in_password_mode(admin_client, clerk_role):
    response = admin_client.post(
        "/users/add/", add_form(role=clerk_role.pk, password="", confirm_password="")
    )

    assert field_errors(response, "password") == ["This field is required."]
    assert field_errors(response, "confirm_password") == ["This field is required."]


def test_user_add_shows_error_next_to_field_for_a_bad_email(admin_client, clerk_role):
    response = admin_client.post(
        "/users/add/", add_form(role=clerk_role.pk, email="jo at firm")
    )

    assert field_errors(response, "email") == ["Enter a valid email address."]


def test_user_add_refuses_another_firms_role(admin_client, other_merchant):
    foreign = RoleFactory(merchant=other_merchant)

    response = admin_client.post("/users/add/", add_form(role=foreign.pk))

    assert response.status_code == 200
    assert field_errors(response, "role") == [INVALID_CHOICE]
    assert not User.objects.filter(username="jo2").exists()


def test_user_add_keeps_typed_values_but_not_passwords(admin_client, clerk_role):
    response = admin_client.post(
        "/users/add/", add_form(role=clerk_role.pk, email="bad", username="Jo2")
    )

    assert input_value(response, "username") == "Jo2"
    assert input_value(response, "full_name") == "Jo Doe"
    assert input_value(response, "email") == "bad"
    assert input_value(response, "password") is None
    assert input_value(response, "confirm_password") is None
    assert f'<option value="{clerk_role.pk}" selected>Clerk</option>' in text(response)


# --- The user record ---------------------------------------------------------


def test_user_detail_works(admin_client, jo):
    response = admin_client.get(f"/users/{jo.pk}/")

    assert response.status_code == 200
    page = text(response)
    assert "<h1>jo2</h1>" in page
    assert '<a href="/users/">Users</a> ›' in page
    assert '<span class="badge badge--active">Active</span>' in page
    assert "badge--locked" not in page
    record = dict(re.findall(r"<dt>([^<]+)</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S))
    assert list(record) == [
        "Username",
        "Full Name",
        "Email",
        "Role",
        "Status",
        "Last login",
        "Created",
    ]
    assert record["Full Name"] == "Jo Doe"
    assert ">jo@firm.com</a>" in record["Email"]
    assert ">Clerk</a>" in record["Role"]
    assert "Never" in record["Last login"]
    assert "by</span> Ada Admin" in record["Created"]
    edit = re.search(r'<a class="icon-btn" href="/users/\d+/edit/"[^>]*>', page)[0]
    assert 'aria-label="Edit"' in edit
    assert 'title="Edit"' in edit
    assert f'hx-get="/users/{jo.pk}/edit/"' in edit
    assert 'hx-target="#user-details"' in edit
    assert 'hx-swap="outerHTML"' in edit
    assert "Reset password" in page


def test_user_detail_redirects_anonymous_to_login(anon_client, jo):
    response = anon_client.get(f"/users/{jo.pk}/")

    assert response["Location"] == f"/?next=/users/{jo.pk}/"


def test_user_detail_404s_for_other_merchant(admin_client, stranger):
    assert admin_client.get(f"/users/{stranger.pk}/").status_code == 404


def test_user_detail_403s_without_permission(no_permission_client, jo):
    assert no_permission_client.get(f"/users/{jo.pk}/").status_code == 403


def test_user_detail_rejects_post(admin_client, jo):
    assert admin_client.post(f"/users/{jo.pk}/").status_code == 405


def test_user_detail_returns_fragment_for_htmx(admin_client, jo):
    response = admin_client.get(f"/users/{jo.pk}/", headers=HTMX)

    page = text(response)
    assert page.strip().startswith('<section class="card" id="user-details"')
    assert "<h1>" not in page
    assert "Reset password" not in page


def test_user_detail_shows_lockout_and_unlock(admin_client, jo):
    lock_out("jo2")

    page = text(admin_client.get(f"/users/{jo.pk}/"))

    assert '<span class="badge badge--locked">' in page
    assert f'<form method="post" action="/users/{jo.pk}/unlock/">' in page


def test_user_detail_of_an_inactive_user_has_no_reset(admin_client, jo):
    jo.is_active = False
    jo.save()

    page = text(admin_client.get(f"/users/{jo.pk}/"))

    assert '<span class="badge badge--inactive">Inactive</span>' in page
    assert "Reactivate to give access again" in page
    assert "/password/" not in page.split('id="user-access"')[1]


def test_user_detail_of_yourself_points_to_profile(admin_client, admin):
    page = text(admin_client.get(f"/users/{admin.pk}/"))

    assert "To change your own password, use your" in page
    assert f"/users/{admin.pk}/password/" not in page


# --- Edit --------------------------------------------------------------------


def test_user_edit_works(admin_client, admin, jo, admin_role):
    response = admin_client.post(
        f"/users/{jo.pk}/edit/",
        edit_form(jo, role=admin_role.pk, full_name="Jo Smith", email="js@firm.com"),
        follow=True,
    )

    assert response.redirect_chain == [(f"/users/{jo.pk}/", 302)]
    assert messages_of(response) == ["User jo2 saved."]
    jo.refresh_from_db()
    assert (jo.role, jo.full_name, jo.email) == (admin_role, "Jo Smith", "js@firm.com")
    event = AuditEvent.objects.get(action=actions.USER_CHANGED)
    assert event.actor == admin
    assert event.changes == {
        "role": ["Clerk", "Administrator"],
        "full_name": ["Jo Doe", "Jo Smith"],
        "email": ["jo@firm.com", "js@firm.com"],
    }


def test_user_edit_shows_the_form_in_the_card(admin_client, jo):
    page = text(admin_client.get(f"/users/{jo.pk}/edit/"))

    assert "<h1>jo2</h1>" in page
    assert 'name="username"' not in page
    assert '<p class="readonly">jo2</p>' in page
    assert (
        '<button type="submit" class="icon-btn icon-btn--save" aria-label="Save" '
        'title="Save">'
    ) in page
    cancel = re.search(
        r'<a class="icon-btn" href="[^"]*" aria-label="Cancel"[^>]*>', page
    )
    assert f'href="/users/{jo.pk}/"' in cancel[0]
    assert 'title="Cancel"' in cancel[0]
    assert '<label for="id_is_active">Status' in page
    assert '<option value="active" selected>Active</option>' in page
    assert 'name="password_mode"' not in page


def test_user_edit_redirects_anonymous_to_login(anon_client, jo):
    assert anon_client.get(f"/users/{jo.pk}/edit/")["Location"] == (
        f"/?next=/users/{jo.pk}/edit/"
    )


def test_user_edit_404s_for_other_merchant(admin_client, stranger):
    response = admin_client.post(
        f"/users/{stranger.pk}/edit/", edit_form(stranger, is_active="inactive")
    )

    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active is True


def test_user_edit_403s_without_permission(no_permission_client, jo):
    response = no_permission_client.post(
        f"/users/{jo.pk}/edit/", edit_form(jo, full_name="Hacked")
    )

    assert response.status_code == 403
    jo.refresh_from_db()
    assert jo.full_name == "Jo Doe"


def test_user_edit_returns_fragment_for_htmx(admin_client, jo):
    response = admin_client.get(f"/users/{jo.pk}/edit/", headers=HTMX)

    page = text(response)
    assert page.strip().startswith('<form class="card" id="user-details"')
    assert "<h1>" not in page
    assert 'hx-target="this" hx-swap="outerHTML"' in page


def test_user_edit_redirects_htmx_after_saving(admin_client, jo):
    response = admin_client.post(
        f"/users/{jo.pk}/edit/", edit_form(jo, full_name="Jo Smith"), headers=HTMX
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/users/{jo.pk}/"


def test_user_edit_shows_error_next_to_field(admin_client, jo):
    response = admin_client.post(
        f"/users/{jo.pk}/edit/", edit_form(jo, full_name="Jo Smith", email="nope")
    )

    assert response.status_code == 200
    assert field_errors(response, "email") == ["Enter a valid email address."]
    assert input_value(response, "full_name") == "Jo Smith"
    assert "<h1>jo2</h1>" in text(response)
    jo.refresh_from_db()
    assert jo.full_name == "Jo Doe"


def test_user_edit_shows_error_in_the_htmx_fragment(admin_client, jo):
    response = admin_client.post(
        f"/users/{jo.pk}/edit/", edit_form(jo, email="nope"), headers=HTMX
    )

    assert text(response).strip().startswith('<form class="card" id="user-details"')
    assert field_errors(response, "email") == ["Enter a valid email address."]


def test_user_edit_refuses_another_firms_role(admin_client, jo, other_merchant):
    foreign = RoleFactory(merchant=other_merchant)

    response = admin_client.post(
        f"/users/{jo.pk}/edit/", edit_form(jo, role=foreign.pk)
    )

    assert field_errors(response, "role") == [INVALID_CHOICE]


def test_user_edit_refuses_to_deactivate_yourself(admin_client, admin):
    response = admin_client.post(
        f"/users/{admin.pk}/edit/", edit_form(admin, is_active="inactive")
    )

    assert field_errors(response, "is_active") == [OWN_STATUS]
    admin.refresh_from_db()
    assert admin.is_active is True


def test_user_edit_refuses_to_change_your_own_role(admin_client, admin, clerk_role):
    response = admin_client.post(
        f"/users/{admin.pk}/edit/", edit_form(admin, role=clerk_role.pk)
    )

    assert field_errors(response, "role") == [OWN_ROLE]


def test_user_edit_deactivation_ends_the_users_sessions(
    admin_client, client_as, jo, admin
):
    jo_client = client_as(jo)
    assert jo_client.get("/profile/").status_code == 200

    response = admin_client.post(
        f"/users/{jo.pk}/edit/", edit_form(jo, is_active="inactive"), follow=True
    )

    assert messages_of(response) == [
        "jo2 is now Inactive: they can't sign in, and their open sessions have ended."
    ]
    assert jo_client.get("/profile/")["Location"] == "/?next=/profile/"
    event = AuditEvent.objects.get(action=actions.USER_DEACTIVATED)
    assert (event.actor, event.target_id) == (admin, str(jo.pk))


def test_user_edit_of_an_inactive_user_offers_password_setup(admin_client, jo):
    jo.is_active = False
    jo.save()

    page = text(admin_client.get(f"/users/{jo.pk}/edit/"))

    assert '<option value="inactive" selected>Inactive</option>' in page
    assert "data-password-mode" in page
    assert 'name="password_mode"' in page
    assert 'name="confirm_password"' in page


def test_user_edit_reactivates_with_a_temporary_password(admin_client, jo):
    jo.is_active = False
    jo.save()

    response = admin_client.post(
        f"/users/{jo.pk}/edit/",
        edit_form(
            jo,
            is_active="active",
            password_mode="password",
            password=NEW_PASSWORD,
            confirm_password=NEW_PASSWORD,
        ),
        follow=True,
    )

    assert messages_of(response) == [
        "jo2 is Active again. Give them the temporary password: they'll change "
        "it when they sign in."
    ]
    jo.refresh_from_db()
    assert jo.is_active is True
    assert jo.must_change_password is True
    assert jo.check_password(NEW_PASSWORD) is True
    assert AuditEvent.objects.filter(action=actions.USER_REACTIVATED).count() == 1


def test_user_edit_reactivates_with_a_link(
    admin_client, jo, mailoutbox, django_capture_on_commit_callbacks
):
    jo.is_active = False
    jo.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/users/{jo.pk}/edit/",
            edit_form(jo, is_active="active", password_mode="link"),
            follow=True,
        )

    assert messages_of(response) == [
        "jo2 is Active again. A link to set a password was sent to jo@firm.com."
    ]
    assert [m.to for m in mailoutbox] == [["jo@firm.com"]]


def test_user_edit_reactivation_shows_error_next_to_field(admin_client, jo):
    jo.is_active = False
    jo.save()

    response = admin_client.post(
        f"/users/{jo.pk}/edit/",
        edit_form(
            jo,
            is_active="active",
            password_mode="password",
            password=NEW_PASSWORD,
            confirm_password="something-else-1",
        ),
    )

    assert field_errors(response, "confirm_password") == [
        "The two passwords don't match."
    ]
    jo.refresh_from_db()
    assert jo.is_active is False


def test_user_edit_of_an_inactive_user_needs_no_password_to_stay_inactive(
    admin_client, jo
):
    jo.is_active = False
    jo.save()

    response = admin_client.post(
        f"/users/{jo.pk}/edit/",
        edit_form(jo, full_name="Jo Smith", password_mode="password"),
    )

    assert response.status_code == 302
    jo.refresh_from_db()
    assert (jo.full_name, jo.is_active) == ("Jo Smith", False)


# --- Reset password ----------------------------------------------------------


def reset_form(**overrides):
    data = {
        "reset-password_mode": "password",
        "reset-password": NEW_PASSWORD,
        "reset-confirm_password": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def test_user_reset_password_works(admin_client, client_as, admin, jo):
    jo_client = client_as(jo)

    response = admin_client.post(f"/users/{jo.pk}/password/", reset_form(), follow=True)

    assert response.redirect_chain == [(f"/users/{jo.pk}/", 302)]
    assert messages_of(response) == [
        "jo2's password was reset. Give them the temporary password: they'll "
        "change it when they sign in."
    ]
    jo.refresh_from_db()
    assert jo.check_password(NEW_PASSWORD) is True
    assert jo.must_change_password is True
    # The password hash changed: jo's open session has ended.
    assert jo_client.get("/profile/")["Location"] == "/?next=/profile/"
    event = AuditEvent.objects.get(action=actions.PASSWORD_SET_BY_ADMIN)
    assert (event.actor, event.target_id) == (admin, str(jo.pk))


def test_user_reset_password_by_link(
    admin_client, client_as, jo, mailoutbox, django_capture_on_commit_callbacks
):
    jo_client = client_as(jo)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/users/{jo.pk}/password/",
            reset_form(**{"reset-password_mode": "link", "reset-password": ""}),
            follow=True,
        )

    assert messages_of(response) == [
        "A link to set a new password was sent to jo@firm.com. jo2's old "
        "password no longer works."
    ]
    assert [m.to for m in mailoutbox] == [["jo@firm.com"]]
    jo.refresh_from_db()
    assert jo.check_password(PASSWORD) is False
    assert jo_client.get("/profile/").status_code == 302
    assert AuditEvent.objects.filter(action=actions.SET_PASSWORD_LINK_SENT).count() == 1


def test_user_reset_password_rejects_get(admin_client, jo):
    assert admin_client.get(f"/users/{jo.pk}/password/").status_code == 405


def test_user_reset_password_redirects_anonymous_to_login(anon_client, jo):
    response = anon_client.post(f"/users/{jo.pk}/password/", reset_form())

    assert response["Location"] == f"/?next=/users/{jo.pk}/password/"


@pytest.mark.parametrize("method", ["get", "post"])
def test_user_reset_password_404s_for_other_merchant(admin_client, stranger, method):
    response = getattr(admin_client, method)(f"/users/{stranger.pk}/password/")

    assert response.status_code == 404


def test_user_reset_password_403s_without_permission(no_permission_client, jo):
    response = no_permission_client.post(f"/users/{jo.pk}/password/", reset_form())

    assert response.status_code == 403
    jo.refresh_from_db()
    assert jo.check_password(PASSWORD) is True


def test_user_reset_password_shows_error_next_to_field(admin_client, jo):
    response = admin_client.post(
        f"/users/{jo.pk}/password/",
        reset_form(**{"reset-confirm_password": "something-else-1"}),
    )

    assert response.status_code == 200
    assert field_errors(response, "reset-confirm_password") == [
        "The two passwords don't match."
    ]
    assert "<h1>jo2</h1>" in text(response)


def test_user_reset_password_shows_policy_error_next_to_field(admin_client, jo):
    response = admin_client.post(
        f"/users/{jo.pk}/password/",
        reset_form(**{"reset-password": PASSWORD, "reset-confirm_password": PASSWORD}),
    )

    assert field_errors(response, "reset-password") == [
        "Choose a password you have not used for your last 4 passwords."
    ]


def test_user_reset_password_returns_fragment_for_htmx(admin_client, jo):
    response = admin_client.post(
        f"/users/{jo.pk}/password/",
        reset_form(**{"reset-confirm_password": "x"}),
        headers=HTMX,
    )

    page = text(response)
    assert page.strip().startswith('<section class="card" id="user-access"')
    assert field_errors(response, "reset-confirm_password") == [
        "The two passwords don't match."
    ]


def test_user_reset_password_refuses_your_own(admin_client, admin):
    response = admin_client.post(f"/users/{admin.pk}/password/", reset_form())

    assert response.status_code == 200
    assert "To change your own password, use your Profile." in text(response)
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD) is True


def test_user_reset_password_refuses_an_inactive_user(admin_client, jo):
    jo.is_active = False
    jo.save()

    response = admin_client.post(f"/users/{jo.pk}/password/", reset_form())

    assert "Reactivate them to give access again." in text(response)
    jo.refresh_from_db()
    assert jo.check_password(PASSWORD) is True


# --- Unlock ------------------------------------------------------------------


def test_user_unlock_works(admin_client, admin, jo):
    lock_out("jo2")

    response = admin_client.post(f"/users/{jo.pk}/unlock/", follow=True)

    assert response.redirect_chain == [(f"/users/{jo.pk}/", 302)]
    assert messages_of(response) == ["jo2 can sign in again."]
    assert lockout.is_locked("jo2") is False
    assert "badge--locked" not in text(response)
    event = AuditEvent.objects.get(action=actions.USER_UNLOCKED)
    assert (event.actor, event.target_id) == (admin, str(jo.pk))


def test_user_unlock_rejects_get(admin_client, jo):
    lock_out("jo2")

    assert admin_client.get(f"/users/{jo.pk}/unlock/").status_code == 405
    assert lockout.is_locked("jo2") is True


def test_user_unlock_redirects_anonymous_to_login(anon_client, jo):
    response = anon_client.post(f"/users/{jo.pk}/unlock/")

    assert response["Location"] == f"/?next=/users/{jo.pk}/unlock/"


@pytest.mark.parametrize("method", ["get", "post"])
def test_user_unlock_404s_for_other_merchant(admin_client, stranger, method):
    lock_out("stranger")

    response = getattr(admin_client, method)(f"/users/{stranger.pk}/unlock/")

    assert response.status_code == 404
    assert lockout.is_locked("stranger") is True


def test_user_unlock_403s_without_permission(no_permission_client, jo):
    lock_out("jo2")

    assert no_permission_client.post(f"/users/{jo.pk}/unlock/").status_code == 403
    assert lockout.is_locked("jo2") is True


def test_user_unlock_redirects_htmx(admin_client, jo):
    lock_out("jo2")

    response = admin_client.post(f"/users/{jo.pk}/unlock/", headers=HTMX)

    assert response["HX-Redirect"] == f"/users/{jo.pk}/"
