"""A trigram index for the Users search box (core/search.py).

PostgreSQL: pg_trgm and a GIN index on the searched columns joined.
SQLite: an FTS5 table with the trigram tokenizer on the same columns,
external content kept in step by triggers, filled from the existing rows.
The SQL is written out here, as it was when this migration was made;
core/search.py describes the current schema and a test compares the two.
"""

from django.db import migrations

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS user_search ON accounts_user USING gin "
    "((UPPER(username || ' ' || full_name || ' ' || email)) gin_trgm_ops)",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS user_search"]

_COLUMNS = "username, full_name, email"
_NEW = "new.username, new.full_name, new.email"
_OLD = "old.username, old.full_name, old.email"
_INSERT = f"INSERT INTO user_search(rowid, {_COLUMNS}) VALUES (new.id, {_NEW});"
_DELETE = (
    f"INSERT INTO user_search(user_search, rowid, {_COLUMNS}) "
    f"VALUES ('delete', old.id, {_OLD});"
)
SQLITE = [
    f"CREATE VIRTUAL TABLE user_search USING fts5({_COLUMNS}, "
    "content='accounts_user', content_rowid='id', tokenize='trigram', "
    "detail='none', columnsize=0)",
    "INSERT INTO user_search(user_search) VALUES ('rebuild')",
    "CREATE TRIGGER user_search_insert AFTER INSERT ON accounts_user "
    f"BEGIN {_INSERT} END",
    "CREATE TRIGGER user_search_delete AFTER DELETE ON accounts_user "
    f"BEGIN {_DELETE} END",
    "CREATE TRIGGER user_search_update AFTER UPDATE ON accounts_user "
    "WHEN old.username IS NOT new.username "
    "OR old.full_name IS NOT new.full_name "
    "OR old.email IS NOT new.email "
    f"BEGIN {_DELETE} {_INSERT} END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS user_search_insert",
    "DROP TRIGGER IF EXISTS user_search_delete",
    "DROP TRIGGER IF EXISTS user_search_update",
    "DROP TABLE IF EXISTS user_search",
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
    dependencies = [("accounts", "0005_add_passkeys")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
