"""The access review (PCI DSS 7.2.4): every user of the firm with what they
may do, as a streamed CSV, from the Users page. Needs users.manage; the
download is audited."""

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from payportal.accounts.models import User
from payportal.accounts.permissions import (
    CATALOGUE,
    USERS_MANAGE,
    permission_required,
)
from payportal.accounts.selectors import users as selectors
from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.core.exports import csv_chunks, safe_row, streamed

HEADER = [
    "Username",
    "Full Name",
    "Email",
    "Role",
    "Permissions",
    "Status",
    "Two-step sign-in",
    "Last login",
    "Created at",
    "Created by",
]


def _permissions(user: User) -> str:
    # The role's codes (Role.codes: an Administrator holds them all), in
    # catalogue order.
    held = user.role.codes
    return " ".join(code for code in CATALOGUE if code in held)


def _lines(users: Iterator[User], *, mfa_ids: set[int], tz: Any) -> Iterator[str]:
    rows = (
        safe_row(
            (
                user.username,
                user.full_name,
                user.email,
                user.role.name,
                _permissions(user),
                "Active" if user.is_active else "Inactive",
                "On" if user.pk in mfa_ids else "Off",
                user.last_login.astimezone(tz).isoformat()
                if user.last_login
                else "Never",
                user.created_at.astimezone(tz).isoformat(),
                user.created_by.username if user.created_by else "",
            )
        )
        for user in users
    )
    return csv_chunks(HEADER, rows)


@permission_required(USERS_MANAGE)
@require_safe
def access_review(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    users = selectors.access_review_users(merchant=merchant)
    record_event(
        action=actions.USERS_ACCESS_REVIEW_EXPORTED,
        merchant=merchant,
        actor=request.user,
        request=request,
        target_type="users",
        target_label="Access review CSV",
    )
    mfa_ids = selectors.mfa_enabled_user_ids(merchant)
    response = StreamingHttpResponse(
        _lines(streamed(users, chunk_size=500), mfa_ids=mfa_ids, tz=merchant.tz),
        content_type="text/csv; charset=utf-8",
    )
    today = timezone.localdate(timezone=merchant.tz).isoformat()
    filename = f"{slugify(merchant.name) or 'firm'}-access-review-{today}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
