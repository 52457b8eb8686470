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


EMAIL_LAYOUT = (
    '<div style="font-family:Arial,sans-serif;max-width:560px;margin:auto">'
    '<h2 style="color:#c8102e">{title}</h2>{body}'
    '<p style="color:#777;font-size:12px">HNS Ulaznice &middot; Hrvatski nogometni savez</p></div>'
)


def email_templates_seed(templates: list[tuple]) -> migrations.RunPython:
    """Create the email templates `(key, name, subject, html body, text body, sample
    variables)` that are missing, never overwriting one an admin has edited."""

    def seed(apps, schema_editor):
        EmailTemplate = apps.get_model("core", "EmailTemplate")
        for key, name, subject, html, text, variables in templates:
            EmailTemplate.objects.get_or_create(
                template_key=key,
                defaults={"name": name, "subject": subject, "body_text": text,
                          "body_html": EMAIL_LAYOUT.format(title=name, body=html),
                          "variables": variables})

    return migrations.RunPython(seed, migrations.RunPython.noop)
