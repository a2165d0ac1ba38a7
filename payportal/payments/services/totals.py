"""Daily totals: the dashboard's numbers, kept current as money moves."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from payportal.merchants.models import Merchant
from payportal.payments.models import Account, DailyTotal


def add_to_daily_total(
    *, merchant: Merchant, when: datetime, account: str, currency: str, **deltas: int
) -> None:
    """Add ``deltas`` (field -> amount) to the firm's row for ``when``'s day.

    ``when`` falls on the firm's calendar day in its time zone. The row is
    created on first use; the additions are one UPDATE with F() so
    concurrent writers never lose each other's figures. One query when the
    row exists (the usual case), three on a day's first figure.
    """
    if account not in Account.values:
        raise ValueError(f"unknown account {account!r}")
    day = timezone.localtime(when, merchant.tz).date()
    key = {"merchant": merchant, "day": day, "account": account, "currency": currency}
    additions = {name: F(name) + value for name, value in deltas.items()}
    if DailyTotal.objects.filter(**key).update(**additions):
        return
    try:
        with transaction.atomic():
            DailyTotal.objects.create(**key, **deltas)
    except IntegrityError:
        # Another writer created it in between: add to theirs.
        DailyTotal.objects.filter(**key).update(**additions)
