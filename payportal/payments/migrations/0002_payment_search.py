"""A trigram index for the Transactions search box (core/search.py).

PostgreSQL: pg_trgm and a GIN index on the searched columns joined.
SQLite: an FTS5 table with the trigram tokenizer on the same columns,
external content kept in step by triggers, filled from the existing rows.
The SQL is written out here, as it was when this migration was made;
core/search.py describes the current schema and a test compares the two.
"""

from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS payment_search ON payments_payment USING gin "
    "((UPPER(reference || ' ' || payer_email || ' ' || cardholder_name || ' ' "
    "|| client_name)) gin_trgm_ops)",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS payment_search"]

_COLUMNS = "reference, payer_email, cardholder_name, client_name"
_NEW = "new.reference, new.payer_email, new.cardholder_name, new.client_name"
_OLD = "old.reference, old.payer_email, old.cardholder_name, old.client_name"
_INSERT = f"INSERT INTO payment_search(rowid, {_COLUMNS}) VALUES (new.id, {_NEW});"
_DELETE = (
    f"INSERT INTO payment_search(payment_search, rowid, {_COLUMNS}) "
    f"VALUES ('delete', old.id, {_OLD});"
)
SQLITE = [
    f"CREATE VIRTUAL TABLE payment_search USING fts5({_COLUMNS}, "
    "content='payments_payment', content_rowid='id', tokenize='trigram', "
    "detail='none', columnsize=0)",
    "INSERT INTO payment_search(payment_search) VALUES ('rebuild')",
    "CREATE TRIGGER payment_search_insert AFTER INSERT ON payments_payment "
    f"BEGIN {_INSERT} END",
    "CREATE TRIGGER payment_search_delete AFTER DELETE ON payments_payment "
    f"BEGIN {_DELETE} END",
    "CREATE TRIGGER payment_search_update AFTER UPDATE ON payments_payment "
    "WHEN old.reference IS NOT new.reference "
    "OR old.payer_email IS NOT new.payer_email "
    "OR old.cardholder_name IS NOT new.cardholder_name "
    "OR old.client_name IS NOT new.client_name "
    f"BEGIN {_DELETE} {_INSERT} END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS payment_search_insert",
    "DROP TRIGGER IF EXISTS payment_search_delete",
    "DROP TRIGGER IF EXISTS payment_search_update",
    "DROP TABLE IF EXISTS payment_search",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql, params=None)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
