"""The Transactions search on PostgreSQL: two GIN indexes instead of one.

One index over the four searched columns joined is built on one core; the
payer's email alone is about half of that work. Split in two (the email;
the reference, cardholder and client), a bulk load builds both at once on
two cores, and a search looks both up (core/search.py, ``pg_indexes``).
SQLite's FTS5 table is unchanged. The SQL is written out as it was when
this migration was made; core/search.py describes the current schema and a
test compares the two.
"""

from django.db import migrations

CREATE = [
    "DROP INDEX IF EXISTS payment_search",
    "CREATE INDEX IF NOT EXISTS payment_search ON payments_payment USING gin "
    "((UPPER(reference || ' ' || cardholder_name || ' ' || client_name)) "
    "gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS payment_search_email ON payments_payment "
    "USING gin ((UPPER(payer_email)) gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS payment_search_email",
    "DROP INDEX IF EXISTS payment_search",
    "CREATE INDEX IF NOT EXISTS payment_search ON payments_payment USING gin "
    "((UPPER(reference || ' ' || payer_email || ' ' || cardholder_name || ' ' "
    "|| client_name)) gin_trgm_ops)",
]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor == "postgresql":
        for sql in statements:
            schema_editor.execute(sql, params=None)


def create(apps, schema_editor):
    _run(schema_editor, CREATE)


def drop(apps, schema_editor):
    _run(schema_editor, DROP)


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_payment_search")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
