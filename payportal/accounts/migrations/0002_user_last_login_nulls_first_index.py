"""PostgreSQL: an index that serves the Users page sorted by Last login.

The page sorts "never signed in" (NULL) as the oldest, i.e. NULLS FIRST
ascending. A plain btree index on PostgreSQL keeps NULLs last, so it cannot
serve that order; this one can, in both directions. SQLite's plain index
already keeps NULLs first and cannot declare NULLS FIRST, so it is skipped
there.
"""

from django.db import migrations

INDEX = "user_merchant_lastlogin_nf"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_user "
            "(merchant_id, last_login ASC NULLS FIRST, id)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
