from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from payportal.accounts.services.mail import portal_url
from payportal.merchants import services


class Command(BaseCommand):
    help = (
        "Set up a firm: its Administrator role and its first login. Without "
        "--admin-password a temporary password is generated and printed; "
        "either way it must be changed at first sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The firm's name.")
        parser.add_argument("--admin-username", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-full-name", default="")
        parser.add_argument(
            "--admin-password",
            default=None,
            help="A temporary password (generated when omitted).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["name"].strip():
            raise CommandError("--name: the firm's name is required.")
        try:
            merchant, user, password = services.create_merchant(
                name=options["name"],
                admin_username=options["admin_username"],
                admin_email=options["admin_email"],
                admin_full_name=options["admin_full_name"],
                admin_password=options["admin_password"],
            )
        except ValidationError as error:
            lines = [
                f"{_option(field)}: {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            ]
            raise CommandError("\n".join(lines)) from error
        self.stdout.write(f"Created firm {merchant.name!r} (id {merchant.pk}).")
        self.stdout.write(f"Portal:             {portal_url(None)}/")
        self.stdout.write(f"Username:           {user.username}")
        if options["admin_password"]:
            self.stdout.write("Temporary password: (the one you gave)")
        else:
            self.stdout.write(f"Temporary password: {password}")
        self.stdout.write(
            "The password is temporary: it must be changed at first sign-in."
        )


def _option(field: str) -> str:
    """The command-line option a service error's field came from."""
    return "--name" if field == "name" else f"--admin-{field.replace('_', '-')}"
