from typing import Any

from django.core.management.base import BaseCommand

from payportal.accounts.models import User
from payportal.accounts.services import lifecycle


class Command(BaseCommand):
    help = (
        "Deactivate users with no sign-in for 90 days (PCI DSS 8.2.6). Safe to "
        "run every hour: a user is deactivated once, and a firm's last active "
        "user who can manage users is kept Active with a warning."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = lifecycle.deactivate_dormant_users()
        for user in report.deactivated:
            self.stdout.write(
                f"Deactivated {user.username} ({user.merchant.name}): "
                f"{_last_seen(user)}."
            )
        for user in report.kept:
            self.stderr.write(
                f"Warning: kept {user.username} ({user.merchant.name}) Active: "
                f"{_last_seen(user)}, but they are the firm's last active user "
                "who can manage users. Ask them to sign in, or add another "
                "user who can manage users."
            )
        count = len(report.deactivated)
        noun = "user" if count == 1 else "users"
        summary = f"Deactivated {count} {noun} with no sign-in for 90 days."
        if report.kept:
            kept = len(report.kept)
            summary += f" Kept {kept} {'user' if kept == 1 else 'users'} Active"
            summary += " as their firm's last user manager."
        self.stdout.write(summary)


def _last_seen(user: User) -> str:
    if user.last_login is None:
        return f"never signed in, added {user.created_at:%Y-%m-%d}"
    return f"last signed in {user.last_login:%Y-%m-%d}"
