"""Writes to roles: the rules of DESIGN §4, each with its audit event."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.http import HttpRequest

from payportal.accounts.models import Role, User
from payportal.accounts.permissions import ALL_CODES, CATALOGUE, USERS_MANAGE
from payportal.accounts.selectors import roles as role_selectors
from payportal.accounts.services import guards
from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.core.validators import refuse_card_numbers
from payportal.merchants.models import Merchant

NAME_TAKEN = "A role with this name already exists."
NAME_REQUIRED = "Enter a name for the role."
ADMINISTRATOR_NAME_FIXED = "The Administrator role keeps its name."
ADMINISTRATOR_PERMISSIONS_FIXED = "Administrator always has every permission."
ADMINISTRATOR_NOT_DELETABLE = "The Administrator role can't be deleted."
OWN_ROLE_USER_MANAGEMENT = "You can't remove user management from your own role."


def role_in_use_message(count: int) -> str:
    users = "1 user" if count == 1 else f"{count} users"
    return f"This role is held by {users}. Give them another role first."


def _clean_codes(permissions: Iterable[str]) -> list[str]:
    """The codes in catalogue order; an unknown code is a ``permissions`` error.

    The form's choices already refuse unknown codes; this is the check for
    every other caller (commands, the API, tests).
    """
    given = set(permissions)
    unknown = sorted(given - set(CATALOGUE))
    if unknown:
        raise ValidationError(
            {"permissions": f"Unknown permission: {', '.join(unknown)}."},
            code="unknown_permission",
        )
    return [code for code in ALL_CODES if code in given]


def _check_name(*, merchant: Merchant, name: str, exclude: Role | None) -> None:
    taken = Role.objects.filter(merchant=merchant, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": NAME_TAKEN}, code="name_taken")


def _check_shape(*, merchant: Merchant, name: str, description: str) -> None:
    """A name, and field lengths as the model declares them, keyed by field."""
    if not name:
        raise ValidationError({"name": NAME_REQUIRED}, code="required")
    refuse_card_numbers(name=name, description=description)
    Role(merchant=merchant, name=name, description=description).full_clean(
        exclude=["merchant", "permissions"],
        validate_unique=False,
        validate_constraints=False,
    )


def _save(role: Role) -> None:
    # The unique constraint on (merchant, lower(name)) is the last line of
    # defence against two requests adding the same name at once.
    try:
        with transaction.atomic():
            role.save()
    except IntegrityError as error:
        raise ValidationError({"name": NAME_TAKEN}, code="name_taken") from error


@transaction.atomic
def create_role(
    *,
    merchant: Merchant,
    actor: User | None,
    name: str,
    description: str,
    permissions: Iterable[str],
    request: HttpRequest | None = None,
) -> Role:
    """Add a role to ``merchant`` holding ``permissions``.

    Side effects: a ``role.created`` audit event. Raises ValidationError
    keyed by field for a missing or taken name (ignoring case, within the
    firm), an over-long name or description, or an unknown permission code.
    """
    name, description = name.strip(), description.strip()
    codes = _clean_codes(permissions)
    _check_shape(merchant=merchant, name=name, description=description)
    guards.lock_merchant(merchant)
    _check_name(merchant=merchant, name=name, exclude=None)
    role = Role(
        merchant=merchant, name=name, description=description, permissions=codes
    )
    _save(role)
    record_event(
        action=actions.ROLE_CREATED,
        merchant=merchant,
        actor=actor,
        request=request,
        target=role,
        changes={
            "name": [None, role.name],
            "description": [None, role.description],
            "permissions": [None, sorted(codes)],
        },
    )
    return role


@transaction.atomic
def update_role(
    *,
    role: Role,
    actor: User,
    name: str,
    description: str,
    permissions: Iterable[str],
    request: HttpRequest | None = None,
) -> Role:
    """Change a role's name, description and permissions.

    The Administrator role keeps its name and every permission; only its
    description changes. Removing ``users.manage`` is refused from the
    actor's own role (nobody demotes themselves) and when it would leave
    the firm without an active user who can manage users.

    Side effects: a ``role.changed`` audit event listing the changed fields
    (none when nothing changed). Raises ValidationError keyed by field.
    """
    merchant = role.merchant
    name, description = name.strip(), description.strip()
    codes = _clean_codes(permissions)
    _check_shape(merchant=merchant, name=name, description=description)
    # Serialise with user writes of this firm so the guard below sees the
    # state it protects.
    guards.lock_merchant(merchant)
    old_codes = sorted(role.codes)
    if role.is_administrator:
        if name != role.name:
            raise ValidationError({"name": ADMINISTRATOR_NAME_FIXED}, code="fixed")
        if set(codes) != set(ALL_CODES):
            raise ValidationError(
                {"permissions": ADMINISTRATOR_PERMISSIONS_FIXED}, code="fixed"
            )
    _check_name(merchant=merchant, name=name, exclude=role)
    new_codes = frozenset(ALL_CODES) if role.is_administrator else frozenset(codes)
    if USERS_MANAGE in old_codes and USERS_MANAGE not in new_codes:
        if actor.role_id == role.pk:
            raise ValidationError(
                {"permissions": OWN_ROLE_USER_MANAGEMENT}, code="own_role"
            )
        guards.ensure_user_manager_remains(
            merchant=merchant, role=role, role_codes=new_codes, field="permissions"
        )
    changes: dict[str, list[Any]] = {}
    if name != role.name:
        changes["name"] = [role.name, name]
    if description != role.description:
        changes["description"] = [role.description, description]
    if sorted(new_codes) != old_codes:
        changes["permissions"] = [old_codes, sorted(new_codes)]
    if not changes:
        return role
    role.name = name
    role.description = description
    if not role.is_administrator:
        role.permissions = codes
    _save(role)
    record_event(
        action=actions.ROLE_CHANGED,
        merchant=merchant,
        actor=actor,
        request=request,
        target=role,
        changes=changes,
    )
    return role


@transaction.atomic
def delete_role(*, role: Role, actor: User, request: HttpRequest | None = None) -> None:
    """Delete a role that nobody holds.

    Side effects: a ``role.deleted`` audit event (recorded first, while the
    role still has its id). Raises ValidationError for the Administrator
    role and for a role held by any user, active or inactive.
    """
    if role.is_administrator:
        raise ValidationError(ADMINISTRATOR_NOT_DELETABLE, code="administrator")
    guards.lock_merchant(role.merchant)
    held_by = role_selectors.count_role_users(role=role)
    if held_by:
        raise ValidationError(role_in_use_message(held_by), code="in_use")
    record_event(
        action=actions.ROLE_DELETED,
        merchant=role.merchant,
        actor=actor,
        request=request,
        target=role,
        changes={
            "name": [role.name, None],
            "description": [role.description, None],
            "permissions": [sorted(role.codes), None],
        },
    )
    try:
        with transaction.atomic():
            role.delete()
    except ProtectedError as error:
        # A user was given the role between the count and the delete.
        count = role_selectors.count_role_users(role=role)
        raise ValidationError(role_in_use_message(count), code="in_use") from error
