from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from payportal.core.management.commands.serve import run_gunicorn
from payportal.merchants.demo import ensure_demo_firm


class Command(BaseCommand):
    help = (
        "Migrate, create the demo firm if missing, print the URL and the "
        "login, then serve the portal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--days",
            type=int,
            default=90,
            help="Days of card activity for a new demo firm (default 90).",
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Set up and print the login, but do not start the server.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        login = ensure_demo_firm(days=options["days"])
        host = options["host"]
        everywhere = {"127.0.0.1", "0.0.0.0", "::"}  # noqa: S104 - names, not a bind
        shown_host = "localhost" if host in everywhere else host
        url = f"http://{shown_host}:{options['port']}/"
        state = "Created" if login.created else "Using"
        self.stdout.write(f"{state} the demo firm {login.merchant.name!r}.")
        self.stdout.write("")
        self.stdout.write(f"  Open      {url}")
        self.stdout.write(f"  Username  {login.username}")
        self.stdout.write(f"  Password  {login.password}")
        self.stdout.write("")
        self.stdout.write(
            "Emails (invites, reset links) are written to the outbox/ folder of "
            "the data dir as .eml files."
        )
        if options["no_serve"]:
            return
        self.stdout.write("Press Ctrl+C to stop.")
        self.stdout.flush()
        call_command("collectstatic", interactive=False, verbosity=0)
        run_gunicorn(host=options["host"], port=options["port"], workers=2, threads=4)
