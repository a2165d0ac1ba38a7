"""The Users pages: list, Add User, the record (read-only, then edit), reset
password and unlock. Every view needs users.manage; another firm's user is
a 404 whatever the method.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from payportal.accounts import lockout
from payportal.accounts.forms.users import (
    MODE_LINK,
    UserAddForm,
    UserEditForm,
    UserFilterForm,
    UserResetPasswordForm,
)
from payportal.accounts.models import User
from payportal.accounts.permissions import USERS_MANAGE, permission_required
from payportal.accounts.selectors import roles as role_selectors
from payportal.accounts.selectors import users as selectors
from payportal.accounts.services import mfa as mfa_services
from payportal.accounts.services import users as services
from payportal.core.htmx import redirect_to, render_page
from payportal.core.templatetags.portal import (
    escaped_row,
    short_datetime,
    url_for_ids,
)

LIST_TEMPLATE = "accounts/users/list.html"
RECORD_TEMPLATE = "accounts/users/detail.html"
# The Users page's sortable columns: (sort key, heading).
SORTABLE_COLUMNS = (
    ("username", "Username"),
    ("full_name", "Full Name"),
    ("email", "Email"),
    ("last_login", "Last login"),
)


def _sort_columns(sort_key: str, descending: bool) -> dict[str, dict[str, str]]:
    """Per sortable column: the ``sort`` its heading links to, and aria-sort."""
    columns = {}
    for key, label in SORTABLE_COLUMNS:
        active = key == sort_key
        columns[key] = {
            "label": label,
            "next": f"-{key}" if active and not descending else key,
            "aria_sort": (
                ("descending" if descending else "ascending") if active else ""
            ),
        }
    return columns


def _rows(users: Iterable[User]) -> list[dict[str, Any]]:
    """What each row of the list shows, as escaped text."""
    record_url = url_for_ids("accounts:user_detail")
    rows = []
    for user in users:
        # The time zone in force, as the template's |date would use.
        last_login = user.last_login and timezone.localtime(user.last_login)
        rows.append(
            escaped_row(
                url=record_url(user.pk),
                username=user.username,
                full_name=user.full_name,
                email=user.email,
                role=user.role.name,
                status=user.status,
                status_class=user.status.lower(),
                locked=user.is_locked,
                last_login_iso=last_login.isoformat() if last_login else "",
                last_login=short_datetime(last_login) if last_login else "",
            )
        )
    return rows


@permission_required(USERS_MANAGE)
@require_safe
def user_list(request: HttpRequest) -> HttpResponse:
    roles = list(role_selectors.list_roles(merchant=request.merchant))
    filters = UserFilterForm(request.GET, roles=roles).filters()
    page = selectors.list_users(
        merchant=request.merchant,
        after=request.GET.get("after") or None,
        before=request.GET.get("before") or None,
        **filters,
    )
    sort_key, descending = selectors.parse_sort(filters["sort"])
    context = {
        "page": page,
        "rows": _rows(page.rows),
        "roles": roles,
        "filters": filters,
        "filtered": bool(filters["q"] or filters["status"] or filters["role_id"]),
        "sort": filters["sort"],
        "columns": _sort_columns(sort_key, descending),
    }
    return render_page(request, LIST_TEMPLATE, context, fragment="results")


@permission_required(USERS_MANAGE)
@require_http_methods(["GET", "HEAD", "POST"])
def user_add(request: HttpRequest) -> HttpResponse:
    roles = role_selectors.list_roles(merchant=request.merchant)
    data = request.POST if request.method == "POST" else None
    form = UserAddForm(data, roles=roles)
    if form.is_bound and form.is_valid():
        setup = form.password_setup()
        try:
            user = services.create_user(
                merchant=request.merchant,
                actor=request.user,
                role=form.cleaned_data["role"],
                username=form.cleaned_data["username"],
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                password=setup.password,
                send_link=setup.send_link,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            invite = f"An invite was sent to {user.email}"
            if setup.send_link:
                invite += " with a link to set a password"
            messages.success(request, f"User {user.username} added. {invite}.")
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/users/add.html", {"form": form})


def _render_record(
    request: HttpRequest,
    user: User,
    *,
    form: UserEditForm | None = None,
    reset_form: UserResetPasswordForm | None = None,
) -> HttpResponse:
    """The user record; ``form`` shows the Details card in edit mode.

    For htmx, only the card that is being worked on: the edit card, the
    read-only card, or the Access card when ``reset_form`` is given.
    """
    context = {
        "subject": user,
        "form": form,
        "reset_form": reset_form or UserResetPasswordForm(user=user),
        "locked": lockout.is_locked(user.username),
        "mfa_on": mfa_services.has_confirmed_factor(user),
        "is_self": user.pk == request.user.pk,
    }
    if reset_form is not None:
        fragment = "access-card"
    elif form is not None:
        fragment = "edit-card"
    else:
        fragment = "details-card"
    return render_page(request, RECORD_TEMPLATE, context, fragment=fragment)


@permission_required(USERS_MANAGE)
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    # Fetch first: another firm's id is a 404 whatever the method.
    user = selectors.get_user(merchant=request.merchant, user_id=user_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _render_record(request, user)


def _saved_message(user: User, *, was_active: bool, setup_mode: str | None) -> str:
    if was_active and not user.is_active:
        return (
            f"{user.username} is now Inactive: they can't sign in, and their "
            "open sessions have ended."
        )
    if user.is_active and not was_active:
        if setup_mode == MODE_LINK:
            return (
                f"{user.username} is Active again. A link to set a password "
                f"was sent to {user.email}."
            )
        return (
            f"{user.username} is Active again. Give them the temporary "
            "password: they'll change it when they sign in."
        )
    return f"User {user.username} saved."


@permission_required(USERS_MANAGE)
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.get_user(merchant=request.merchant, user_id=user_id)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    roles = role_selectors.list_roles(merchant=request.merchant)
    data = request.POST if request.method == "POST" else None
    form = UserEditForm(data, user=user, roles=roles)
    if form.is_bound and form.is_valid():
        was_active = user.is_active
        try:
            services.update_user(
                user=user,
                actor=request.user,
                role=form.cleaned_data["role"],
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                is_active=form.cleaned_data["is_active"],
                request=request,
                reactivation=form.password_setup(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            mode = form.cleaned_data.get("password_mode") if form.reactivates else None
            messages.success(
                request, _saved_message(user, was_active=was_active, setup_mode=mode)
            )
            return redirect_to(request, reverse("accounts:user_detail", args=[user.pk]))
    return _render_record(request, user, form=form)


@permission_required(USERS_MANAGE)
def user_reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.get_user(merchant=request.merchant, user_id=user_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = UserResetPasswordForm(request.POST, user=user)
    if form.is_valid():
        setup = form.password_setup()
        try:
            services.reset_user_password(
                user=user,
                actor=request.user,
                password=setup.password,
                send_link=setup.send_link,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if setup.send_link:
                message = (
                    f"A link to set a new password was sent to {user.email}. "
                    f"{user.username}'s old password no longer works."
                )
            else:
                message = (
                    f"{user.username}'s password was reset. Give them the "
                    "temporary password: they'll change it when they sign in."
                )
            messages.success(request, message)
            return redirect_to(request, reverse("accounts:user_detail", args=[user.pk]))
    return _render_record(request, user, reset_form=form)


@permission_required(USERS_MANAGE)
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.get_user(merchant=request.merchant, user_id=user_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.unlock_user(user=user, actor=request.user, request=request)
    messages.success(request, f"{user.username} can sign in again.")
    return redirect_to(request, reverse("accounts:user_detail", args=[user.pk]))


@permission_required(USERS_MANAGE)
def user_reset_mfa(request: HttpRequest, user_id: int) -> HttpResponse:
    """Remove a user's second factor (a lost phone); they set it up again."""
    user = selectors.get_user(merchant=request.merchant, user_id=user_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        mfa_services.reset_factors(user=user, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            f"{user.username}'s two-step sign-in was reset and their sessions "
            "ended. They sign in with their password and set it up again.",
        )
    return redirect_to(request, reverse("accounts:user_detail", args=[user.pk]))
