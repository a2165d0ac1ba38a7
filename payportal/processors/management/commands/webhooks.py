"""``payportal webhooks list|retry``: look at stored events, re-apply failed ones.

A failed event (its cause fixed: a firm's account set, a bug deployed), one
stuck as received (its process stopped before applying it) or, with
``--deferred``, one waiting for its payment is re-applied with
``payportal webhooks retry``; safe to run at any time: an event already
applied is never applied twice.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from payportal.processors import services
from payportal.processors.models import WebhookEvent


class Command(BaseCommand):
    help = "List stored webhook events, or re-apply the failed ones."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="Print stored events, newest first.")
        listing.add_argument(
            "--status",
            choices=WebhookEvent.Status.values,
            help="Only events with this status.",
        )
        listing.add_argument(
            "--limit", type=int, default=50, help="At most this many (default 50)."
        )
        retry = actions.add_parser(
            "retry", help="Re-apply failed events and print each outcome."
        )
        retry.add_argument(
            "--deferred",
            action="store_true",
            help="Also re-apply events waiting for a payment that has not arrived.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self.list_events(status=options["status"], limit=options["limit"])
        else:
            self.retry(include_deferred=options["deferred"])

    def list_events(self, *, status: str | None, limit: int) -> None:
        rows = WebhookEvent.objects.order_by("-received_at", "-id")
        if status:
            rows = rows.filter(status=status)
        shown = 0
        for row in rows[: max(limit, 0)]:
            self.stdout.write(self.line(row))
            shown += 1
        if not shown:
            self.stdout.write("No events.")

    def retry(self, *, include_deferred: bool) -> None:
        outcomes: dict[str, int] = {}
        for row in services.events_to_retry(include_deferred=include_deferred):
            before = row.status
            after = services.apply_event(row)
            outcomes[after.status] = outcomes.get(after.status, 0) + 1
            self.stdout.write(f"{self.line(after)}  (was {before})")
        total = sum(outcomes.values())
        if not total:
            self.stdout.write("Nothing to retry.")
            return
        parts = ", ".join(
            f"{count} {status}" for status, count in sorted(outcomes.items())
        )
        self.stdout.write(
            f"Re-applied {total} event{'s' if total != 1 else ''}: {parts}."
        )

    @staticmethod
    def line(row: WebhookEvent) -> str:
        text = f"{row.event_id}  {row.type}  {row.status}"
        if row.error:
            text += f"  {row.error}"
        return text
