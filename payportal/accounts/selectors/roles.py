"""Reads of roles, always scoped to the request's merchant."""

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from payportal.accounts.models import Role, User
from payportal.merchants.models import Merchant


def list_roles(*, merchant: Merchant) -> QuerySet[Role]:
    return Role.objects.filter(merchant=merchant).order_by("name", "id")


def list_roles_with_user_counts(*, merchant: Merchant) -> QuerySet[Role]:
    """The merchant's roles, each with ``user_count`` (active or not).

    One query for the whole Roles page, whatever the number of roles.
    """
    return list_roles(merchant=merchant).annotate(user_count=Count("users"))


def get_role(*, merchant: Merchant, role_id: int) -> Role:
    """The merchant's role, or 404 (another firm's id is a 404, never 403)."""
    return get_object_or_404(Role, merchant=merchant, pk=role_id)


def count_role_users(*, role: Role) -> int:
    """How many users hold ``role``, inactive ones included."""
    return User.objects.filter(merchant_id=role.merchant_id, role=role).count()


def list_role_users(*, role: Role, limit: int = 20) -> list[User]:
    """The first ``limit`` users holding ``role``, by username."""
    return list(
        User.objects.filter(merchant_id=role.merchant_id, role=role).order_by(
            "username", "id"
        )[:limit]
    )
