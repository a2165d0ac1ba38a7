from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from payportal.seed import services


class Command(BaseCommand):
    help = (
        "Fill the database with realistic firms, staff and card activity "
        "(bulk inserts; restartable: run it again to finish an interrupted load)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--merchants", type=int, default=1, help="Firms to make (default 1)."
        )
        parser.add_argument(
            "--users", type=int, default=100, help="Users per firm (default 100)."
        )
        parser.add_argument(
            "--payments",
            type=int,
            default=10_000,
            help="Payments of firm 1; each other firm gets 1/1000 of it "
            "(default 10000).",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=730,
            help="Days the activity spreads over, ending now (default 730).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (default 1)."
        )
        parser.add_argument(
            "--password",
            default=services.DEFAULT_PASSWORD,
            help="Password of every seeded login (default %(default)s).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = services.SeedPlan(
            merchants=options["merchants"],
            users=options["users"],
            payments=options["payments"],
            days=options["days"],
            seed=options["seed"],
            password=options["password"],
        )
        if plan.merchants < 1 or plan.users < 1:
            raise CommandError("--merchants and --users must be at least 1.")
        if plan.payments < 0 or plan.days < 1:
            raise CommandError("--payments must be 0 or more, --days at least 1.")
        users, payments = services.rows_to_add(plan)
        bar = tqdm(
            total=users + payments,
            unit=" rows",
            unit_scale=True,
            disable=options["no_progress"] or options["verbosity"] == 0,
            desc="seed",
        )
        with bar:
            result = services.seed(plan, progress=bar.update)
        if options["verbosity"] == 0:
            return
        self.stdout.write(_summary(result))


def _rate(count: int, seconds: float, index_seconds: float) -> str:
    if not count or seconds <= 0:
        return ""
    text = f" in {seconds:.1f} s ({count / seconds:,.0f}/s"
    if index_seconds:
        text += f"; building the indexes took {index_seconds:.1f} s of it"
    return text + ")"


def _summary(result: services.SeedResult) -> str:
    lines = [
        f"Added {result.users_added:,} users"
        f"{_rate(result.users_added, result.user_seconds, result.user_index_seconds)}.",
        f"Added {result.payments_added:,} payments"
        + _rate(
            result.payments_added, result.payment_seconds, result.payment_index_seconds
        )
        + ", "
        f"{result.refunds_added:,} refunds, {result.disputes_added:,} chargebacks.",
    ]
    if result.vacuumed:
        lines.append(
            f"Vacuumed and analysed the tables in {result.tidy_seconds:.1f} s."
        )
    lines.append("Sign in as any of:")
    for login in result.logins:
        lines.append(
            f"  {login.merchant.name}: username {login.username}, "
            f"password {login.password}"
        )
    return "\n".join(lines)
