"""Payments: drop the foreign key's own index on the firm.

Every list index of payments already starts with the firm (``payment_created``
and its siblings), so the index Django made for the foreign key only cost
every insert an update and bulk loads a sixth B-tree. The state change is
Django's; the database change is a plain DROP INDEX (an AlterField would
rebuild the whole table on SQLite, and with it lose the search triggers).
"""

import django.db.models.deletion
from django.db import migrations, models

# The name Django gave the foreign key's index in 0001_initial.
INDEX = "payments_payment_merchant_id_2ca42133"


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0003_add_mfa_and_audit_retention"),
        ("payments", "0002_payment_search"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="payment",
                    name="merchant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="merchants.merchant",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=(
                        f'CREATE INDEX "{INDEX}" ON "payments_payment" ("merchant_id")'
                    ),
                ),
            ],
        ),
    ]
