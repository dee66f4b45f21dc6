"""PostgreSQL-only search support: pg_trgm, the search vector's trigger and its indexes.

On SQLite this migration does nothing: search there falls back to a simple match
(``registry.selectors.search``). The trigger keeps ``search_vector`` current on every write
path (forms, API, bulk imports, admin), weighting the name (A) over the purpose (B) and the
description and outputs (C).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION registry_usecase_search_vector() RETURNS trigger AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A') ||
            setweight(to_tsvector('english', coalesce(NEW.purpose, '')), 'B') ||
            setweight(to_tsvector('english', coalesce(NEW.description, '') || ' ' ||
                                              coalesce(NEW.outputs, '') || ' ' ||
                                              coalesce(NEW.platform, '') || ' ' ||
                                              coalesce(NEW.external_id, '')), 'C');
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER registry_usecase_search_vector_trg
    BEFORE INSERT OR UPDATE OF name, purpose, description, outputs, platform, external_id
    ON registry_usecase FOR EACH ROW EXECUTE FUNCTION registry_usecase_search_vector()
    """,
    "CREATE INDEX IF NOT EXISTS registry_uc_search_gin ON registry_usecase USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS registry_uc_name_trgm ON registry_usecase USING gin (name gin_trgm_ops)",
    "UPDATE registry_usecase SET name = name",
]

BACKWARD = [
    "DROP INDEX IF EXISTS registry_uc_name_trgm",
    "DROP INDEX IF EXISTS registry_uc_search_gin",
    "DROP TRIGGER IF EXISTS registry_usecase_search_vector_trg ON registry_usecase",
    "DROP FUNCTION IF EXISTS registry_usecase_search_vector()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
