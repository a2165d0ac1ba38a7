from typing import Any

from django.core.management.base import BaseCommand

from payportal.payments.services import disputes


class Command(BaseCommand):
    help = (
        "Email the users who can respond about chargebacks whose evidence is "
        "due within 3 days. Safe to run every hour: each chargeback's "
        "reminder goes out once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = disputes.send_due_reminders()
        noun = "chargeback" if count == 1 else "chargebacks"
        self.stdout.write(f"Reminded about {count} {noun} due within 3 days.")
