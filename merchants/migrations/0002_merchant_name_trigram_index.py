"""A trigram index on the business name, so that the respondent search ("爱克美" finds
太原爱克美数码有限公司) stays an index scan at hundreds of thousands of merchants.

PostgreSQL only (the pg_trgm extension ships with it; creating it needs a role allowed to create
extensions, e.g. the database owner on PostgreSQL 13+ since pg_trgm is a trusted extension). On
SQLite, used for quick local runs, the search works without the index.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS merchant_name_trgm_idx "
    "ON merchants_merchant USING gin (name gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS merchant_name_trgm_idx"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("merchants", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
