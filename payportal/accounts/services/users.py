"""Writes to users: the rules of DESIGN §4, each with its audit event."""

import copy
import secrets
import string
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from payportal.accounts import lockout
from payportal.accounts.models import Role, User, username_validator
from payportal.accounts.services import guards, mail
from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.core.validators import card_number_errors, reject_card_numbers
from payportal.merchants.models import Merchant

USERNAME_TAKEN = "This username is already taken (usernames ignore case)."
CHOOSE_VALID_ROLE = "Choose a valid role."
# Messages and audit labels, not secrets (hence the S105 exemptions).
CHOOSE_PASSWORD_SETUP = "Set a temporary password or send a set-password link."  # noqa: S105
OWN_ROLE = "You can't change your own role."
OWN_STATUS = "You can't deactivate your own account."
OWN_PASSWORD = "To change your own password, use your Profile."  # noqa: S105
INACTIVE_USER = "This user is Inactive. Reactivate them to give access again."

# How a user was given access, as the audit trail records it.
TEMPORARY_PASSWORD = "temporary"  # noqa: S105
SET_PASSWORD_LINK = "set-password link"  # noqa: S105


@dataclass(frozen=True)
class PasswordSetup:
    """How an administrator gives someone access.

    A temporary ``password`` (changed at the next sign-in), or, without
    one, ``send_link``: email a single-use set-password link (72 hours).
    """

    password: str | None = None
    send_link: bool = False


def generate_temporary_password() -> str:
    """16 random letters and digits, with at least one of each."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(16))
        if any(c.isalpha() for c in candidate) and any(c.isdigit() for c in candidate):
            return candidate


def validate_username(username: str, *, exclude: User | None = None) -> None:
    """Shape and case-insensitive uniqueness across the whole portal."""
    username_validator(username)
    # Letters and digits allow 13-19 digits: never a card number (PCI 3.3).
    reject_card_numbers(username)
    taken = User.objects.filter(username__iexact=username)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError(USERNAME_TAKEN, code="username_taken")


def validate_new_password(password: str, user: User) -> None:
    """The password policy, raised on the ``password`` field."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error


@transaction.atomic
def create_user(
    *,
    merchant: Merchant,
    actor: User | None,
    role: Role,
    username: str,
    full_name: str,
    email: str,
    password: str | None = None,
    send_link: bool = False,
    request: HttpRequest | None = None,
) -> User:
    """Add an Active user to ``merchant``.

    With ``password`` it is temporary: the user must change it at first
    sign-in. With ``send_link`` (and no password) the invite carries a
    single-use set-password link valid 72 hours instead.

    Side effects: an invite email to ``email`` after commit (address and
    username, never the password); a ``user.created`` audit event.
    Raises ValidationError keyed by field for a bad username, a taken
    username, a role of another firm or a password the policy refuses.
    """
    errors: dict[str, list[ValidationError]] = {}
    if role.merchant_id != merchant.pk:
        errors.setdefault("role", []).append(ValidationError(CHOOSE_VALID_ROLE))
    try:
        validate_username(username)
    except ValidationError as error:
        errors.setdefault("username", []).extend(error.error_list)
    if password is None and not send_link:
        errors.setdefault("password", []).append(ValidationError(CHOOSE_PASSWORD_SETUP))
    user = User(
        merchant=merchant,
        role=role,
        username=username,
        full_name=full_name,
        email=email,
        is_active=True,
        created_by=actor,
    )
    try:
        # Field shapes (a valid email, lengths) as the model declares them.
        user.full_clean(
            exclude=["password", "username", "role", "merchant"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        for field, field_errors in error.error_dict.items():
            errors.setdefault(field, []).extend(field_errors)
    for field, field_errors in _card_number_errors(user).items():
        errors.setdefault(field, []).extend(field_errors)
    if password is not None:
        try:
            validate_new_password(password, user)
        except ValidationError as error:
            errors.setdefault("password", []).extend(error.error_dict["password"])
    if errors:
        raise ValidationError(errors)
    if password is not None:
        user.set_password(password)
        user.must_change_password = True
    else:
        user.set_unusable_password()
    try:
        # The constraint on Lower(username) is the last line of defence
        # against two requests adding the same username at once.
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise ValidationError(
            {"username": ValidationError(USERNAME_TAKEN, code="username_taken")}
        ) from error
    record_event(
        action=actions.USER_CREATED,
        merchant=merchant,
        actor=actor,
        request=request,
        target=user,
        changes={
            "username": [None, user.username],
            "full_name": [None, user.full_name],
            "email": [None, user.email],
            "role": [None, role.name],
            "status": [None, user.status],
            "password": [
                None,
                SET_PASSWORD_LINK if password is None else TEMPORARY_PASSWORD,
            ],
        },
    )
    mail.send_invite(user, request=request, with_link=password is None)
    return user


def _card_number_errors(user: User) -> dict[str, list[ValidationError]]:
    """A card number in the free text of ``user`` (PCI DSS 3.3, 3.4)."""
    return card_number_errors(full_name=user.full_name, email=user.email)


def _shape_errors(user: User) -> dict[str, list[ValidationError]]:
    """Field shapes (a valid email, lengths) of ``user`` as the model says,
    and no card number in its free text."""
    errors = _card_number_errors(user)
    try:
        user.full_clean(
            exclude=["password", "username", "role", "merchant", "created_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        for field, field_errors in error.error_dict.items():
            errors.setdefault(field, []).extend(field_errors)
    return errors


def _give_access(
    user: User,
    *,
    password: str | None,
    request: HttpRequest | None,
) -> str:
    """Set a temporary password, or else email a set-password link.

    Saves ``user``. With a link the old password stops working at once
    (see reset_user_password). Returns how access was given, for the audit.
    """
    if password is not None:
        user.set_password(password)
        user.must_change_password = True
        user.save()
        return TEMPORARY_PASSWORD
    user.set_unusable_password()
    user.must_change_password = False
    user.save()
    # After the save: the link's token covers the new password hash.
    mail.send_set_password_link(user, request=request)
    return SET_PASSWORD_LINK


@transaction.atomic
def update_user(
    *,
    user: User,
    actor: User | None,
    role: Role,
    full_name: str,
    email: str,
    is_active: bool,
    request: HttpRequest | None = None,
    reactivation: PasswordSetup | None = None,
) -> User:
    """Change a user's role, full name, email and status (Active/Inactive).

    The username never changes. Active to Inactive deactivates: the user's
    open sessions end at their next request (the authentication backend
    refuses inactive users). Inactive to Active reactivates with
    ``reactivation``: a temporary password (changed at the next sign-in) or
    an emailed set-password link, which also makes the old password stop
    working.

    Side effects: saves ``user`` (only when nothing fails); one
    ``user.changed`` event with ``{field: [old, new]}`` for role (by name),
    full name and email, none when they did not change; a
    ``user.deactivated`` or ``user.reactivated`` event for a status change;
    the set-password email after commit.
    Raises ValidationError keyed by field: ``role`` (another firm's role,
    your own role), ``is_active`` (your own account), ``full_name`` /
    ``email`` (shape), ``password`` (no password setup on reactivation, or
    one the policy refuses), and ``role`` or ``is_active`` when the firm
    would be left with no active user who can manage users.
    """
    # Serialise with other user and role changes of the firm, so two
    # administrators cannot each deactivate the other at once.
    guards.lock_merchant(user.merchant)
    errors: dict[str, list[ValidationError]] = {}
    is_self = actor is not None and actor.pk == user.pk
    role_changed = role.pk != user.role_id
    deactivating = user.is_active and not is_active
    reactivating = is_active and not user.is_active
    if role.merchant_id != user.merchant_id:
        errors.setdefault("role", []).append(ValidationError(CHOOSE_VALID_ROLE))
    elif is_self and role_changed:
        errors.setdefault("role", []).append(ValidationError(OWN_ROLE, code="own_role"))
    if is_self and is_active != user.is_active:
        errors.setdefault("is_active", []).append(
            ValidationError(OWN_STATUS, code="own_status")
        )
    # Check the new values on a copy: the caller's instance changes only
    # once everything passed.
    candidate = copy.copy(user)
    candidate.full_name = full_name
    candidate.email = email
    candidate.is_active = is_active
    for field, field_errors in _shape_errors(candidate).items():
        errors.setdefault(field, []).extend(field_errors)
    setup = reactivation or PasswordSetup()
    if reactivating:
        if setup.password is None and not setup.send_link:
            errors.setdefault("password", []).append(
                ValidationError(CHOOSE_PASSWORD_SETUP, code="password_setup")
            )
        elif setup.password is not None:
            try:
                validate_new_password(setup.password, candidate)
            except ValidationError as error:
                errors.setdefault("password", []).extend(error.error_dict["password"])
    if errors:
        raise ValidationError(errors)
    if role_changed or deactivating:
        guards.ensure_user_manager_remains(
            merchant=user.merchant,
            user=user,
            user_role=role,
            user_active=is_active,
            field="is_active" if deactivating else "role",
        )

    changes: dict[str, list[object]] = {}
    if role_changed:
        changes["role"] = [user.role.name, role.name]
    if full_name != user.full_name:
        changes["full_name"] = [user.full_name, full_name]
    if email != user.email:
        changes["email"] = [user.email, email]
    old_status = user.status
    user.role = role
    user.full_name = full_name
    user.email = email
    user.is_active = is_active
    user.save(update_fields=["role", "full_name", "email", "is_active"])
    if changes:
        record_event(
            action=actions.USER_CHANGED,
            merchant=user.merchant,
            actor=actor,
            request=request,
            target=user,
            changes=changes,
        )
    if deactivating:
        record_event(
            action=actions.USER_DEACTIVATED,
            merchant=user.merchant,
            actor=actor,
            request=request,
            target=user,
            changes={"status": [old_status, user.status]},
        )
    if reactivating:
        given = _give_access(user, password=setup.password, request=request)
        record_event(
            action=actions.USER_REACTIVATED,
            merchant=user.merchant,
            actor=actor,
            request=request,
            target=user,
            changes={"status": [old_status, user.status], "password": [None, given]},
        )
    return user


@transaction.atomic
def reset_user_password(
    *,
    user: User,
    actor: User | None,
    password: str | None = None,
    send_link: bool = False,
    request: HttpRequest | None = None,
) -> None:
    """An administrator resets an Active user's password.

    With ``password`` it is temporary: the user must change it at the next
    sign-in. Without one, ``send_link`` emails a single-use set-password
    link (72 hours) and the old password stops working at once: a reset is
    usually asked for because the old password is forgotten or may be
    known to someone else, so it must not keep working for up to 72 hours
    while the link waits to be used. The user can sign in again as soon as
    they follow the link.

    Side effects: saves the new (or an unusable) password hash, which ends
    the user's open sessions; a ``password.set_by_admin`` or
    ``password.link_sent`` event; the email after commit.
    Raises ValidationError: not keyed for your own account (use Profile)
    or an Inactive user; keyed ``password`` when neither a password nor a
    link is asked for, or the policy refuses the password.
    """
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(OWN_PASSWORD, code="own_password")
    if not user.is_active:
        raise ValidationError(INACTIVE_USER, code="inactive")
    if password is None and not send_link:
        raise ValidationError(
            {"password": ValidationError(CHOOSE_PASSWORD_SETUP, code="password_setup")}
        )
    if password is not None:
        validate_new_password(password, user)
    given = _give_access(user, password=password, request=request)
    record_event(
        action=(
            actions.PASSWORD_SET_BY_ADMIN
            if given == TEMPORARY_PASSWORD
            else actions.SET_PASSWORD_LINK_SENT
        ),
        merchant=user.merchant,
        actor=actor,
        request=request,
        target=user,
    )


@transaction.atomic
def unlock_user(
    *, user: User, actor: User | None, request: HttpRequest | None = None
) -> bool:
    """Clear a user's failed sign-ins, ending a lockout before its 30 minutes.

    Side effects: deletes the username's axes attempts; a ``user.unlocked``
    event when there were any. Returns whether there was anything to clear.
    Raises nothing.
    """
    removed = lockout.unlock(user.username)
    if removed:
        record_event(
            action=actions.USER_UNLOCKED,
            merchant=user.merchant,
            actor=actor,
            request=request,
            target=user,
        )
    return bool(removed)


@transaction.atomic
def update_profile(
    *,
    user: User,
    full_name: str,
    email: str,
    request: HttpRequest | None = None,
) -> User:
    """A signed-in user changes their own full name and email.

    Side effects: saves ``user`` (only when nothing fails); one
    ``profile.changed`` event with ``{field: [old, new]}``, none when nothing
    changed.
    Raises ValidationError keyed ``full_name`` / ``email`` for a bad shape.
    """
    candidate = copy.copy(user)
    candidate.full_name = full_name
    candidate.email = email
    errors = _shape_errors(candidate)
    if errors:
        raise ValidationError(errors)
    changes: dict[str, list[object]] = {}
    if full_name != user.full_name:
        changes["full_name"] = [user.full_name, full_name]
    if email != user.email:
        changes["email"] = [user.email, email]
    if not changes:
        return user
    user.full_name = full_name
    user.email = email
    user.save(update_fields=["full_name", "email"])
    record_event(
        action=actions.PROFILE_CHANGED,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
        changes=changes,
    )
    return user


@transaction.atomic
def change_password(
    *, user: User, password: str, request: HttpRequest | None = None
) -> None:
    """A signed-in user replaces their own password (the current one checked).

    Side effects: saves the new hash (and clears ``must_change_password``),
    which ends the user's other sessions: the caller keeps the current one
    with ``update_session_auth_hash``; a ``password.changed`` event.
    Raises ValidationError keyed ``password`` when the policy refuses it.
    """
    validate_new_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save()
    record_event(
        action=actions.PASSWORD_CHANGED,
        merchant=user.merchant,
        actor=user,
        request=request,
        target=user,
    )
