"""On PostgreSQL, refuse UPDATE and DELETE of history entries in the database itself, so that
not even raw SQL from the application edits the record. (SQLite relies on the model's guard.)"""

from django.db import migrations

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION registry_history_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'registry history is append-only: %% refused', TG_OP;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER registry_history_append_only_trg
    BEFORE UPDATE OR DELETE ON registry_historyentry
    FOR EACH ROW EXECUTE FUNCTION registry_history_append_only()
    """,
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS registry_history_append_only_trg ON registry_historyentry",
    "DROP FUNCTION IF EXISTS registry_history_append_only()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_history")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
