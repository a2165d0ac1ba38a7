"""Make the audit table append-only in the database itself (PCI DSS 10.3.2).

UPDATE is always refused. DELETE is refused unless the purge permit is open
for the transaction (``payportal.audit.services.delete_permit``) and the
row is older than its firm's retention (365 days for firm-less rows). Both
vendors raise an integrity error, so Django raises ``IntegrityError``.

PostgreSQL: a plpgsql trigger function; the permit is the transaction-local
setting ``payportal.audit_delete = 'purge'`` (``SET LOCAL``). TRUNCATE fires
no row trigger (the test runner's flush relies on that): the table's owner
can still empty it or drop the trigger, as anyone with the SQLite file can.
The hash chain, with a last hash kept outside the database, catches that.

SQLite: triggers with ``RAISE(ABORT)``; the permit is the SQL function
``payportal_audit_delete_mode()`` that the app registers on its own
connections (apps.py). Any other client (the sqlite3 shell) lacks the
function, so its DELETE fails too.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE FUNCTION audit_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('payportal.audit_delete', true) = 'purge'
       AND OLD.created_at < now() - make_interval(days => COALESCE(
           (SELECT audit_retention_days FROM merchants_merchant
            WHERE id = OLD.merchant_id), 365))
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER audit_auditevent_no_update
    BEFORE UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();
CREATE TRIGGER audit_auditevent_no_delete
    BEFORE DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS audit_auditevent_no_delete ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_auditevent_no_update ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_append_only();
"""

# Django stores SQLite datetimes as UTC text ("2026-01-10 05:00:00.123456"),
# which sorts like datetime('now', ...) gives it.
SQLITE_FORWARD = [
    """
    CREATE TRIGGER audit_auditevent_no_update
    BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused');
    END;
    """,
    """
    CREATE TRIGGER audit_auditevent_no_delete
    BEFORE DELETE ON audit_auditevent
    WHEN payportal_audit_delete_mode() = 0
      OR (payportal_audit_delete_mode() = 1
          AND OLD.created_at >= datetime('now', '-' || COALESCE(
              (SELECT audit_retention_days FROM merchants_merchant
               WHERE id = OLD.merchant_id), 365) || ' days'))
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused');
    END;
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete;",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update;",
]


def _run(statements: str | list[str], schema_editor) -> None:
    for statement in [statements] if isinstance(statements, str) else statements:
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(POSTGRES_FORWARD, schema_editor)
    elif vendor == "sqlite":
        _run(SQLITE_FORWARD, schema_editor)
    else:
        raise NotImplementedError(f"No append-only trigger for {vendor}.")


def reverse(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(POSTGRES_REVERSE, schema_editor)
    elif vendor == "sqlite":
        _run(SQLITE_REVERSE, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("merchants", "0003_add_mfa_and_audit_retention"),
    ]

    operations = [migrations.RunPython(forward, reverse, elidable=False)]
