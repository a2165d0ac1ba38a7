"""``payportal simulate``: a firm's card activity, sent to a running portal.

The sandbox processor's side of the wire: generates days of realistic
activity (``processors.activity``) and POSTs each event, signed, to
``<url>/webhooks/sandbox/``, as a real processor would. Running it twice
sends the same events: the second run is all replays and changes nothing.
"""

import time
import urllib.error
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from payportal.merchants.models import Merchant
from payportal.processors import sandbox
from payportal.processors.activity import generate_activity

PROGRESS_EVERY = 100


def find_merchant(text: str) -> Merchant:
    """The firm with this id, processor account or exact name."""
    query = Q(processor_account=text) | Q(name=text)
    if text.isdigit():
        query |= Q(pk=int(text))
    found = list(Merchant.objects.filter(query)[:2])
    if not found:
        raise CommandError(f"No firm has the id, processor account or name {text!r}.")
    if len(found) > 1:
        raise CommandError(
            f"More than one firm matches {text!r}; give its id or processor account."
        )
    return found[0]


class Command(BaseCommand):
    help = (
        "Send days of realistic sandbox activity (payments, refunds, "
        "chargebacks) to a running portal as signed webhooks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--merchant",
            required=True,
            help="The firm: its id, its processor account or its exact name.",
        )
        parser.add_argument("--days", type=int, default=90, help="Default 90.")
        parser.add_argument(
            "--per-day",
            type=int,
            default=None,
            help="About this many payments a business day (default 8 to 15).",
        )
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="The portal's address (default http://127.0.0.1:8000).",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Same seed, same activity."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        if options["per_day"] is not None and options["per_day"] < 1:
            raise CommandError("--per-day must be at least 1.")
        merchant = find_merchant(options["merchant"])
        if merchant.processor != sandbox.NAME or not merchant.processor_account:
            raise CommandError(
                f"{merchant.name} has no sandbox processor account to send for."
            )
        url = sandbox.webhook_url(options["url"])
        self.stdout.write(
            f"Sending {options['days']} days of activity for {merchant.name} "
            f"({merchant.processor_account}) to {url}"
        )
        counts: Counter[str] = Counter()
        started = time.monotonic()
        for body in generate_activity(
            account=merchant.processor_account,
            currency=merchant.currency,
            days=options["days"],
            per_day=options["per_day"],
            seed=options["seed"],
            time_zone=merchant.time_zone,
        ):
            try:
                status, answer = sandbox.deliver_over_http(url, body)
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise CommandError(
                    f"Could not reach {url}: {reason}. Is the portal running? "
                    f"{counts['sent']} events were sent; running the same "
                    "command again resends them as harmless replays."
                ) from error
            counts["sent"] += 1
            if status != 200:
                counts["errors"] += 1
                self.stderr.write(f"Refused ({status}): {answer.get('error', answer)}")
            elif answer.get("replay"):
                counts["replays"] += 1
            else:
                counts[str(answer.get("status"))] += 1
            if counts["sent"] % PROGRESS_EVERY == 0:
                self.stdout.write(f"  {counts['sent']} events sent")
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Done in {seconds:.1f} s: {counts['sent']} sent, "
            f"{counts['applied']} applied, {counts['replays']} replays, "
            f"{counts['deferred']} deferred, {counts['failed']} failed, "
            f"{counts['ignored']} ignored, {counts['errors']} errors."
        )
        if counts["failed"]:
            self.stdout.write(
                "Failed events are kept with their error: see "
                "`payportal webhooks list --status failed`, then "
                "`payportal webhooks retry`."
            )
