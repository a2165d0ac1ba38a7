"""The Roles pages: list, add, record (read-only, then edit) and delete."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from payportal.accounts.forms.roles import RoleForm, preset_initial
from payportal.accounts.models import Role
from payportal.accounts.permissions import (
    ALL_CODES,
    CATALOGUE,
    PRESETS,
    USERS_MANAGE,
    permission_required,
)
from payportal.accounts.selectors import roles as selectors
from payportal.accounts.services import roles as services
from payportal.core.htmx import render_page, wants_fragment

RECORD_TEMPLATE = "accounts/roles/role_detail.html"
# How many holders the role record lists before "and N more".
MEMBERS_SHOWN = 20
# How many permission labels a row of the Roles page names.
LABELS_SHOWN = 3


def _permission_summary(role: Role) -> dict[str, Any]:
    labels = [CATALOGUE[code][0] for code in ALL_CODES if code in role.codes]
    return {
        "count": len(labels),
        "total": len(ALL_CODES),
        "labels": labels[:LABELS_SHOWN],
        "more": max(len(labels) - LABELS_SHOWN, 0),
    }


def _render_record(
    request: HttpRequest,
    role: Role,
    *,
    form: RoleForm | None = None,
    saved: bool = False,
) -> HttpResponse:
    """The role record: read-only, or as a form when ``form`` is given."""
    user_count = selectors.count_role_users(role=role)
    members = selectors.list_role_users(role=role, limit=MEMBERS_SHOWN)
    context = {
        "role": role,
        "form": form,
        "saved": saved,
        "permissions": [
            {"label": label, "held": code in role.codes}
            for code, (label, _help) in CATALOGUE.items()
        ],
        "members": members,
        "more": user_count - len(members),
        "user_count": user_count,
        "deletable": not role.is_administrator and user_count == 0,
    }
    return render_page(request, RECORD_TEMPLATE, context, fragment="role-record")


@permission_required(USERS_MANAGE)
@require_safe
def role_list(request: HttpRequest) -> HttpResponse:
    roles = selectors.list_roles_with_user_counts(merchant=request.merchant)
    rows = [{"role": role, "summary": _permission_summary(role)} for role in roles]
    return render(request, "accounts/roles/role_list.html", {"rows": rows})


@permission_required(USERS_MANAGE)
@require_http_methods(["GET", "HEAD", "POST"])
def role_add(request: HttpRequest) -> HttpResponse:
    # ``?preset=operator`` fills the form from a preset; nothing is saved
    # until the form is.
    preset = request.GET.get("preset")
    initial = preset_initial(preset)
    form = RoleForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            role = services.create_role(
                merchant=request.merchant,
                actor=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Role “{role.name}” added.")
            return redirect("accounts:role_detail", role_id=role.pk)
    presets = [
        {
            "key": key,
            "name": name,
            "description": description,
            "labels": [CATALOGUE[code][0] for code in ALL_CODES if code in codes],
            "current": key == preset,
        }
        for key, (name, description, codes) in PRESETS.items()
    ]
    return render(
        request, "accounts/roles/role_add.html", {"form": form, "presets": presets}
    )


@permission_required(USERS_MANAGE)
def role_detail(request: HttpRequest, role_id: int) -> HttpResponse:
    # Fetch first: another firm's id is a 404 whatever the method.
    role = selectors.get_role(merchant=request.merchant, role_id=role_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _render_record(request, role)


@permission_required(USERS_MANAGE)
def role_edit(request: HttpRequest, role_id: int) -> HttpResponse:
    role = selectors.get_role(merchant=request.merchant, role_id=role_id)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    form = RoleForm(request.POST if request.method == "POST" else None, role=role)
    if form.is_bound and form.is_valid():
        try:
            services.update_role(
                role=role, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            role.refresh_from_db()
            form.add_error(None, error)
        else:
            if wants_fragment(request):
                response = _render_record(request, role, saved=True)
                response["HX-Push-Url"] = reverse(
                    "accounts:role_detail", args=[role.pk]
                )
                return response
            messages.success(request, "Role saved.")
            return redirect("accounts:role_detail", role_id=role.pk)
    return _render_record(request, role, form=form)


@permission_required(USERS_MANAGE)
def role_delete(request: HttpRequest, role_id: int) -> HttpResponse:
    role = selectors.get_role(merchant=request.merchant, role_id=role_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    name = role.name
    try:
        services.delete_role(role=role, actor=request.user, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("accounts:role_detail", role_id=role_id)
    messages.success(request, f"Role “{name}” deleted.")
    return redirect("accounts:role_list")
