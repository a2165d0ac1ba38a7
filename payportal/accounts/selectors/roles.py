"""Reads of roles, always scoped to the request's merchant."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from payportal.accounts.models import Role
from payportal.merchants.models import Merchant


def list_roles(*, merchant: Merchant) -> QuerySet[Role]:
    return Role.objects.filter(merchant=merchant).order_by("name", "id")


def get_role(*, merchant: Merchant, role_id: int) -> Role:
    """The merchant's role, or 404 (another firm's id is a 404, never 403)."""
    return get_object_or_404(Role, merchant=merchant, pk=role_id)
