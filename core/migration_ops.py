"""Operations for migrations. Import only what stays stable: a migration runs as written
forever, so what it imports must never change meaning."""

from django.db import migrations


def postgresql_sql(sql: str, reverse_sql: str) -> migrations.RunPython:
    """`RunSQL` that runs on PostgreSQL only: triggers and PL/pgSQL functions, which the SQLite
    embedded default does without."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(reverse_sql, params=None)

    return migrations.RunPython(forward, backward)
