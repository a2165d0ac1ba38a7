"""The demo firm that ``payportal demo`` sets up: realistic, deterministic.

Everything goes through the same services the portal uses, so the demo's
audit trail, invites and rules are the real ones; its 90 days of card
activity arrive as signed sandbox webhooks through the real intake.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from payportal.accounts import permissions as p
from payportal.accounts.models import User
from payportal.accounts.services import roles as role_services
from payportal.accounts.services import users as user_services
from payportal.merchants import services
from payportal.merchants.models import Merchant
from payportal.processors import sandbox
from payportal.processors.activity import generate_activity

DEMO_FIRM = "Hale & Stone LLP"
DEMO_USERNAME = "demo"
# A known password so `payportal demo` can always print a working login.
# Only the demo firm has it, and it is not temporary there by design.
DEMO_PASSWORD = "Harbour-lights-2026"  # noqa: S105 - public demo login
DEMO_TIME_ZONE = "America/New_York"
# Fixed, so the demo's processor references are the same on every install.
DEMO_ACCOUNT = "acct_demo_halestone"
DEMO_DAYS = 90
DEMO_SEED = 2026

ROLES = [
    (
        "Operator",
        "Works the payments: transactions, refunds and chargebacks.",
        [p.DASHBOARD_VIEW, p.PAYMENTS_VIEW, p.REFUNDS_CREATE, p.DISPUTES_RESPOND],
    ),
    (
        "Viewer",
        "Reads transactions; changes nothing.",
        [p.DASHBOARD_VIEW, p.PAYMENTS_VIEW],
    ),
    ("User admin", "Manages users; sees no card data.", [p.USERS_MANAGE, p.AUDIT_VIEW]),
]

# (username, full name, role, active)
STAFF = [
    ("mstone", "Margaret Stone", "Administrator", True),
    ("jhale", "Jonathan Hale", "Administrator", True),
    ("priya", "Priya Raman", "Operator", True),
    ("lchen", "Li Chen", "Operator", True),
    ("tobrien", "Tom O'Brien", "Operator", True),
    ("amorales", "Ana Morales", "Operator", True),
    ("kwilliams", "Keisha Williams", "Viewer", True),
    ("dnguyen", "Duc Nguyen", "Viewer", True),
    ("sfischer", "Sabine Fischer", "Viewer", True),
    ("rpatel", "Rohan Patel", "User admin", True),
    ("ebrown", "Emily Brown", "Operator", False),
    ("gsmith", "George Smith", "Viewer", False),
    ("hkim", "Hana Kim", "Operator", True),
    ("cjones", "Carla Jones", "Viewer", True),
    ("bmiller", "Ben Miller", "Operator", True),
    ("ylopez", "Yolanda Lopez", "Viewer", True),
]


@dataclass(frozen=True)
class DemoLogin:
    merchant: Merchant
    username: str
    password: str
    created: bool


@transaction.atomic
def ensure_demo_firm(*, days: int = DEMO_DAYS) -> DemoLogin:
    """Create the demo firm with staff, roles and ``days`` of card activity
    unless it exists already."""
    existing = User.objects.filter(username__iexact=DEMO_USERNAME).first()
    if existing is not None:
        return DemoLogin(existing.merchant, existing.username, DEMO_PASSWORD, False)
    merchant, admin, _ = services.create_merchant(
        name=DEMO_FIRM,
        admin_username=DEMO_USERNAME,
        admin_email="demo@halestone.example",
        admin_full_name="Dana Demo",
        admin_password=DEMO_PASSWORD,
    )
    admin.must_change_password = False
    admin.save(update_fields=["must_change_password"])
    merchant.time_zone = DEMO_TIME_ZONE
    if not Merchant.objects.filter(processor_account=DEMO_ACCOUNT).exists():
        merchant.processor_account = DEMO_ACCOUNT
    merchant.save(update_fields=["time_zone", "processor_account"])
    roles = {role.name: role for role in merchant.roles.all()}
    for name, description, codes in ROLES:
        roles[name] = role_services.create_role(
            merchant=merchant,
            actor=admin,
            name=name,
            description=description,
            permissions=codes,
            request=None,
        )
    now = timezone.now()
    for index, (username, full_name, role_name, active) in enumerate(STAFF):
        user = user_services.create_user(
            merchant=merchant,
            actor=admin,
            role=roles[role_name],
            username=username,
            full_name=full_name,
            email=f"{username}@halestone.example",
            send_link=True,
        )
        # Sample history: most staff have signed in at some point recently.
        if index % 5 != 4:
            seen = now - timedelta(days=index * 3, hours=index * 7 % 24)
            User.objects.filter(pk=user.pk).update(last_login=seen)
        if not active:
            user_services.update_user(
                user=user,
                actor=admin,
                role=user.role,
                full_name=user.full_name,
                email=user.email,
                is_active=False,
                request=None,
            )
    add_demo_activity(merchant, now=now, days=days)
    return DemoLogin(merchant, DEMO_USERNAME, DEMO_PASSWORD, True)


def add_demo_activity(
    merchant: Merchant, *, now: datetime, days: int = DEMO_DAYS
) -> int:
    """Deliver ``days`` of payments, refunds and chargebacks to the firm
    through the sandbox's in-process transport; returns the event count.

    The same firm, day and seed give the same activity; delivering it
    again changes nothing (every event is a replay).
    """
    count = 0
    for body in generate_activity(
        account=merchant.processor_account or "",
        currency=merchant.currency,
        days=days,
        seed=DEMO_SEED,
        now=now,
        time_zone=merchant.time_zone,
    ):
        sandbox.deliver_in_process(body)
        count += 1
    return count
