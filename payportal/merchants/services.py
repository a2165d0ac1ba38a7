"""Setting up a firm: the tenant, its Administrator role and first login."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import get_random_string

from payportal.accounts.models import Role, User
from payportal.accounts.services import users as user_services
from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.core.validators import reject_card_numbers
from payportal.merchants.models import Merchant, validate_time_zone


@transaction.atomic
def create_merchant(
    *,
    name: str,
    admin_username: str,
    admin_email: str,
    admin_full_name: str = "",
    admin_password: str | None = None,
) -> tuple[Merchant, User, str]:
    """Create a firm with its Administrator role and its first login.

    The first login's password is temporary, generated when not given, and
    must be changed at first sign-in. Returns the merchant, the user and the
    temporary password (to print once; it is stored only hashed).

    Side effects: ``merchant.created`` and ``user.created`` audit events; an
    invite email to the first login. Raises ValidationError keyed by field
    for a card number in the name, or a bad username, full name or
    password; nothing is saved then.
    """
    # The firm's name is free text: never a card number (PCI DSS 3.3).
    try:
        reject_card_numbers(name)
    except ValidationError as error:
        raise ValidationError({"name": error.error_list}) from error
    # The firm's account at the (sandbox) processor: webhook events name it.
    merchant = Merchant.objects.create(
        name=name.strip(), processor_account=f"acct_{get_random_string(16).lower()}"
    )
    role = Role.objects.create(
        merchant=merchant,
        name="Administrator",
        description="Every permission. Cannot be narrowed or deleted.",
        is_administrator=True,
    )
    record_event(action=actions.MERCHANT_CREATED, merchant=merchant, target=merchant)
    password = admin_password or user_services.generate_temporary_password()
    user = user_services.create_user(
        merchant=merchant,
        actor=None,
        role=role,
        username=admin_username,
        full_name=admin_full_name or admin_username,
        email=admin_email,
        password=password,
    )
    return merchant, user, password


# The settings a firm's admin may change on the Settings page.
SETTINGS_FIELDS = (
    "name",
    "time_zone",
    "refund_approval_enabled",
    "refund_approval_threshold",
    "require_mfa",
    "audit_retention_days",
)


@transaction.atomic
def update_settings(
    *,
    merchant: Merchant,
    actor: User,
    request: HttpRequest | None = None,
    **fields: Any,
) -> Merchant:
    """Change the firm's settings (``SETTINGS_FIELDS``; others are refused).

    Side effects: saves only the changed fields and records one
    ``settings.changed`` audit event with ``{field: [old, new]}`` for them;
    nothing is saved or recorded when nothing changed. Raises
    ValidationError keyed by field for a blank name, an unknown time zone,
    a negative approval threshold or an audit retention under 365 days;
    nothing is saved then.
    """
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"Not a setting: {', '.join(sorted(unknown))}")
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    errors: dict[str, str] = {}
    if "name" in fields and not fields["name"]:
        errors["name"] = "Enter the firm's name."
    elif "name" in fields:
        try:
            reject_card_numbers(fields["name"])
        except ValidationError as error:
            errors["name"] = error.messages[0]
    if "time_zone" in fields:
        try:
            validate_time_zone(fields["time_zone"])
        except ValidationError as error:
            errors["time_zone"] = error.messages[0]
    if (
        "refund_approval_threshold" in fields
        and fields["refund_approval_threshold"] < 0
    ):
        errors["refund_approval_threshold"] = "Enter an amount of 0 or more."
    if "audit_retention_days" in fields and fields["audit_retention_days"] < 365:
        # PCI DSS 10.5.1; the database's check constraint says the same.
        errors["audit_retention_days"] = (
            "Keep the audit log for at least 365 days (a year)."
        )
    if errors:
        raise ValidationError(errors)
    # Read the values under a lock so the recorded "old" is what was replaced.
    current = Merchant.objects.select_for_update().get(pk=merchant.pk)
    changes = {
        name: [getattr(current, name), value]
        for name, value in fields.items()
        if getattr(current, name) != value
    }
    if not changes:
        return merchant
    for name, (_old, new) in changes.items():
        setattr(merchant, name, new)
    merchant.save(update_fields=list(changes))
    record_event(
        action=actions.SETTINGS_CHANGED,
        merchant=merchant,
        actor=actor,
        request=request,
        target=merchant,
        changes=changes,
    )
    return merchant
