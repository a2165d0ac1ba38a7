"""Reads of users, always scoped to the request's merchant."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from payportal.accounts.lockout import locked_usernames, normalise_username
from payportal.accounts.models import User
from payportal.core import search
from payportal.core.pagination import PAGE_SIZE, Page, keyset_page
from payportal.merchants.models import Merchant

# The Users page's sort keys; each has an index on (merchant, key, id).
SORT_KEYS = ("username", "full_name", "email", "last_login")
DEFAULT_SORT = "username"
STATUS_ACTIVE = "active"
STATUS_INACTIVE = "inactive"


def get_user(*, merchant: Merchant, user_id: int) -> User:
    """The merchant's user, or 404 (another firm's id is a 404, never 403)."""
    return get_object_or_404(
        User.objects.select_related("role", "created_by"), merchant=merchant, pk=user_id
    )


def parse_sort(sort: str | None) -> tuple[str, bool]:
    """``"-email"`` -> ``("email", True)``; anything unknown is the default."""
    sort = sort or ""
    key = sort.removeprefix("-")
    if key not in SORT_KEYS:
        return DEFAULT_SORT, False
    return key, sort.startswith("-")


def list_users(
    *,
    merchant: Merchant,
    q: str = "",
    status: str = "",
    role_id: int | None = None,
    sort: str = DEFAULT_SORT,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of the merchant's users for the Users page.

    ``q`` matches username, full name or email (ignoring case); ``status``
    is "active", "inactive" or anything else for all; ``role_id`` limits
    to one role (another firm's role id simply matches nobody); ``sort`` is
    a key of SORT_KEYS, "-" first for descending, else the default.
    Each row gets ``is_locked``. Two queries whatever the page size: the
    page itself (keyset, no COUNT) and the lockouts of its usernames; a
    search with a trigram (three characters or more) takes one to three
    more, bounded whatever the data size (core/search.py).
    """
    users = User.objects.filter(merchant=merchant).select_related("role")
    if status == STATUS_ACTIVE:
        users = users.filter(is_active=True)
    elif status == STATUS_INACTIVE:
        users = users.filter(is_active=False)
    if role_id is not None:
        users = users.filter(role_id=role_id)
    key, descending = parse_sort(sort)
    seek = {
        "key": key,
        "descending": descending,
        "after": after,
        "before": before,
        "size": size,
    }
    q = (q or "").strip()
    if q:
        page = search.search_page(users, search=search.USERS, term=q, **seek)
    else:
        page = keyset_page(users, **seek)
    locked = locked_usernames(user.username for user in page.rows)
    for user in page.rows:
        user.is_locked = normalise_username(user.username) in locked
    return page


def users_with_permission(*, merchant: Merchant, code: str) -> list[User]:
    """The firm's active users who ``can(code)``: who to notify or ask."""
    users = User.objects.filter(merchant=merchant, is_active=True).select_related(
        "role"
    )
    return [user for user in users.order_by("username") if user.can(code)]


# --- Access review (PCI DSS 7.2.4) --------------------------------------------


def mfa_enabled_user_ids(merchant: Merchant) -> set[int]:
    """Ids of the firm's users with at least one confirmed second factor.

    Looks the model up by name so this works before and after the MFA
    models land (an empty set while there is no SecondFactor model).
    """
    from django.apps import apps

    try:
        factor_model = apps.get_model("accounts", "SecondFactor")
    except LookupError:
        return set()
    return set(
        factor_model.objects.filter(
            user__merchant=merchant, confirmed_at__isnull=False
        ).values_list("user_id", flat=True)
    )


def access_review_users(*, merchant: Merchant) -> QuerySet[User]:
    """Every user of the firm, inactive ones too, with role and creator.

    One query (role and created_by joined), by username; stream it with
    ``.iterator()``.
    """
    return (
        User.objects.filter(merchant=merchant)
        .select_related("role", "created_by")
        .order_by("username", "id")
    )
