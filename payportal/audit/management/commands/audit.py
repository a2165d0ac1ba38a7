from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payportal.audit import selectors
from payportal.audit.selectors import ChainReport
from payportal.merchants.models import Merchant


class Command(BaseCommand):
    help = "Work with the audit trail. `audit verify` checks its hash chains."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{verify}"
        )
        verify = subcommands.add_parser(
            "verify",
            help=(
                "Recompute every firm's hash chain (and the chain of events "
                "that belong to no firm); exit 1 if any is broken."
            ),
        )
        verify.add_argument(
            "--merchant",
            type=int,
            default=None,
            metavar="ID",
            help="Check only this firm's chain.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # One subcommand today; argparse refuses any other.
        merchant_id = options["merchant"]
        if merchant_id is not None:
            merchant = Merchant.objects.filter(pk=merchant_id).first()
            if merchant is None:
                raise CommandError(f"--merchant: no firm has the id {merchant_id}.")
            chains: list[Merchant | None] = [merchant]
        else:
            chains = [*Merchant.objects.order_by("id"), None]
        broken = 0
        for chain in chains:
            report = selectors.verify_chain(merchant=chain)
            if report.intact:
                self.stdout.write(f"{_name(report)}: {_ok(report)}")
            else:
                broken += 1
                self.stderr.write(
                    f"{_name(report)}: BROKEN at event {report.broken_event_id}: "
                    f"{report.problem}."
                )
        if broken:
            chains_word = "chain" if broken == 1 else "chains"
            raise CommandError(f"{broken} audit {chains_word} broken.")


def _name(report: ChainReport) -> str:
    if report.merchant is None:
        return "No firm"
    return f"Firm {report.merchant.pk} ({report.merchant.name})"


def _ok(report: ChainReport) -> str:
    events = "1 event" if report.count == 1 else f"{report.count} events"
    return f"OK: {events}, chain intact"
