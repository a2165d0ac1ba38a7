"""Reads of users, always scoped to the request's merchant."""

from django.shortcuts import get_object_or_404

from payportal.accounts.models import User
from payportal.merchants.models import Merchant


def get_user(*, merchant: Merchant, user_id: int) -> User:
    """The merchant's user, or 404 (another firm's id is a 404, never 403)."""
    return get_object_or_404(
        User.objects.select_related("role", "created_by"), merchant=merchant, pk=user_id
    )
