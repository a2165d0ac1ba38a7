"""Helpers for the audit tests."""

import contextlib
import importlib
from collections.abc import Iterator

from django.db import connection

_TRIGGERS = {
    "audit_auditevent_no_update": "UPDATE",
    "audit_auditevent_no_delete": "DELETE",
}


@contextlib.contextmanager
def tampering() -> Iterator[None]:
    """Drop the append-only triggers for a block, as an attacker with DDL
    rights could, to prove the hash chain catches what they do.

    Inside the test's transaction (DDL is transactional on SQLite and on
    PostgreSQL); the triggers are put back at the end of the block.
    """
    migration = importlib.import_module(
        "payportal.audit.migrations.0002_append_only_triggers"
    )
    with connection.cursor() as cursor:
        for name in _TRIGGERS:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {name} ON audit_auditevent")
            else:
                cursor.execute(f"DROP TRIGGER {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for name, operation in _TRIGGERS.items():
                    cursor.execute(
                        f"CREATE TRIGGER {name} BEFORE {operation} "
                        "ON audit_auditevent FOR EACH ROW "
                        "EXECUTE FUNCTION audit_auditevent_append_only()"
                    )
            else:
                for statement in migration.SQLITE_FORWARD:
                    cursor.execute(statement)
