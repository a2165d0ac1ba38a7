"""``payportal audit verify`` checks the hash chains (in the database or in
an exported JSON file); ``payportal audit purge`` deletes events older than
each firm's retention."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payportal.audit import exports, selectors, services
from payportal.audit.models import AuditEvent
from payportal.audit.selectors import ChainReport, ChainRow
from payportal.merchants.models import Merchant


class Command(BaseCommand):
    help = (
        "Work with the audit trail. `audit verify` checks its hash chains; "
        "`audit purge` deletes events older than each firm's retention."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{verify,purge}"
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
        verify.add_argument(
            "--file",
            default=None,
            metavar="PATH",
            help="Check an exported JSON file instead of the database.",
        )
        verify.add_argument(
            "--head",
            default=None,
            metavar="HASH",
            help=(
                "The last hash an earlier check printed: the chain must still "
                "end there or after it (with --merchant), or exactly there "
                "(with --file)."
            ),
        )
        purge = subcommands.add_parser(
            "purge",
            help=(
                "Delete events older than each firm's retention (Settings), "
                "recording an audit.purged event; safe to run daily."
            ),
        )
        purge.add_argument(
            "--merchant", type=int, default=None, metavar="ID", help="Only this firm."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "purge":
            self._purge(options["merchant"])
        elif options["file"]:
            self._verify_file(Path(options["file"]), head=options["head"])
        else:
            self._verify_database(options["merchant"], head=options["head"])

    def _chains(self, merchant_id: int | None) -> list[Merchant | None]:
        if merchant_id is not None:
            merchant = Merchant.objects.filter(pk=merchant_id).first()
            if merchant is None:
                raise CommandError(f"--merchant: no firm has the id {merchant_id}.")
            return [merchant]
        return [*Merchant.objects.order_by("id"), None]

    def _verify_database(self, merchant_id: int | None, *, head: str | None) -> None:
        if head is not None and merchant_id is None:
            raise CommandError("--head needs --merchant: each chain has its own.")
        broken = 0
        for chain in self._chains(merchant_id):
            report = selectors.verify_chain(merchant=chain)
            if report.intact and head is not None:
                report = _check_head_reached(report, head=head)
            if report.intact:
                self.stdout.write(f"{_name(report)}: {_ok(report)}")
            else:
                broken += 1
                self.stderr.write(f"{_name(report)}: {_broken(report)}")
        if broken:
            chains_word = "chain" if broken == 1 else "chains"
            raise CommandError(f"{broken} audit {chains_word} broken.")

    def _verify_file(self, path: Path, *, head: str | None) -> None:
        try:
            header, events = exports.load_export(path.read_text(encoding="utf-8"))
            rows = [ChainRow.from_export(item) for item in events]
        except OSError as error:
            message = f"--file: cannot read {path}: {error.strerror}."
            raise CommandError(message) from None
        except (ValueError, KeyError, TypeError) as error:
            message = f"--file: {path} is not an audit export: {error}."
            raise CommandError(message) from None
        # A date range starts mid-chain: its first event's prev_hash is taken
        # as given; every later link and every hash is checked.
        expected_head = head or header.get("last_hash")
        report = selectors.verify_rows(rows, start=None, head=expected_head)
        name = f"File {path.name}"
        if not report.intact:
            self.stderr.write(f"{name}: {_broken(report)}")
            raise CommandError("1 audit chain broken.")
        self.stdout.write(f"{name}: {_ok(report)}")
        if rows and rows[0].prev_hash == services.GENESIS:
            self.stdout.write("It starts at the first event of the firm's chain.")

    def _purge(self, merchant_id: int | None) -> None:
        for chain in self._chains(merchant_id):
            deleted = services.purge_events(merchant=chain)
            label = "No firm" if chain is None else f"Firm {chain.pk} ({chain.name})"
            events = "1 event" if deleted == 1 else f"{deleted} events"
            self.stdout.write(f"{label}: deleted {events}.")


def _check_head_reached(report: ChainReport, *, head: str) -> ChainReport:
    """The chain must still hold ``head``: an intact chain that lost it lost
    its newest events (and was extended or left short)."""
    if (
        head == report.head
        or AuditEvent.objects.filter(merchant=report.merchant, hash=head).exists()
    ):
        return report
    return ChainReport(
        merchant=report.merchant,
        count=report.count,
        problem=(
            f"the event with hash {head[:12]} is gone: the newest events "
            "before it were removed or replaced"
        ),
        head=report.head,
    )


def _name(report: ChainReport) -> str:
    if report.merchant is None:
        return "No firm"
    return f"Firm {report.merchant.pk} ({report.merchant.name})"


def _ok(report: ChainReport) -> str:
    events = "1 event" if report.count == 1 else f"{report.count} events"
    return f"OK: {events}, chain intact, last hash {report.head}"


def _broken(report: ChainReport) -> str:
    if report.broken_event_id is None:
        return f"BROKEN: {report.problem}."
    return f"BROKEN at event {report.broken_event_id}: {report.problem}."
