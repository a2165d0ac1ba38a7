"""Writes to users: the rules of DESIGN §4, each with its audit event."""

import secrets
import string

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from payportal.accounts.models import Role, User, username_validator
from payportal.accounts.services import mail
from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.merchants.models import Merchant

USERNAME_TAKEN = "This username is already taken (usernames ignore case)."


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
        errors.setdefault("role", []).append(ValidationError("Choose a valid role."))
    try:
        validate_username(username)
    except ValidationError as error:
        errors.setdefault("username", []).extend(error.error_list)
    if password is None and not send_link:
        errors.setdefault("password", []).append(
            ValidationError("Set a temporary password or send a set-password link.")
        )
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
    user.save()
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
                "set-password link" if password is None else "temporary",
            ],
        },
    )
    mail.send_invite(user, request=request, with_link=password is None)
    return user
