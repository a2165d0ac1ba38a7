"""Setting up a firm: the tenant, its Administrator role and first login."""

from django.db import transaction
from django.utils.crypto import get_random_string

from payportal.accounts.models import Role, User
from payportal.accounts.services import users as user_services
from payportal.audit import actions
from payportal.audit.services import record_event
from payportal.merchants.models import Merchant


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
    for a bad username or password; nothing is saved then.
    """
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
