"""Django's ``flush``, able to empty the append-only audit table on SQLite.

``flush`` removes all data by design (the test runner calls it after every
transactional test). On PostgreSQL it is a TRUNCATE, which fires no row
trigger; on SQLite it is ``DELETE FROM`` each table, which the audit
trigger would refuse. This command opens the flush permit for its run only.
"""

from typing import Any

from django.core.management.commands import flush

from payportal.audit.services import DELETE_FLUSH, delete_permit


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with delete_permit(DELETE_FLUSH):
            super().handle(**options)
