from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give each SQLite connection the function the audit trigger asks.

    ``payportal_audit_delete_mode()`` answers the delete permit of the code
    running on this thread (services.delete_permit); see migration 0002.
    """
    if connection.vendor != "sqlite":
        return
    from payportal.audit.services import delete_mode

    connection.connection.create_function("payportal_audit_delete_mode", 0, delete_mode)


class AuditConfig(AppConfig):
    name = "payportal.audit"
    label = "audit"

    def ready(self) -> None:
        connection_created.connect(
            register_sqlite_functions, dispatch_uid="payportal_audit_sqlite"
        )
