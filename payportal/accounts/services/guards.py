"""The last-user-manager guard (DESIGN §4), shared by user and role writes."""

from django.core.exceptions import ValidationError

from payportal.accounts.models import Role, User
from payportal.accounts.permissions import USERS_MANAGE
from payportal.merchants.models import Merchant

NO_USER_MANAGER_LEFT = (
    "The firm must keep at least one active user who can manage users."
)


def ensure_user_manager_remains(
    *,
    merchant: Merchant,
    user: User | None = None,
    user_role: Role | None = None,
    user_active: bool | None = None,
    role: Role | None = None,
    role_codes: frozenset[str] | None = None,
    field: str | None = None,
) -> None:
    """Raise ValidationError if a change would leave no active user manager.

    Describe the change as it would be: ``user`` with its new role and
    status, or ``role`` with its new permission codes. Call inside the
    writing transaction, after locking the merchant row, so two admins
    cannot each remove the other at once.
    """
    manager_roles = set()
    for candidate in Role.objects.filter(merchant=merchant):
        codes = role_codes if role is not None and candidate.pk == role.pk else None
        if codes is None:
            codes = candidate.codes
        if USERS_MANAGE in codes:
            manager_roles.add(candidate.pk)
    managers = User.objects.filter(
        merchant=merchant, is_active=True, role_id__in=manager_roles
    )
    if user is not None:
        managers = managers.exclude(pk=user.pk)
        new_role = user_role if user_role is not None else user.role
        new_active = user.is_active if user_active is None else user_active
        if new_active and new_role.pk in manager_roles:
            return
    if not managers.exists():
        message = ValidationError(NO_USER_MANAGER_LEFT, code="last_user_manager")
        raise ValidationError({field: [message]} if field else message)


def lock_merchant(merchant: Merchant) -> None:
    """Serialise user and role changes within one firm (PostgreSQL row lock)."""
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
