"""The "your report is ready" email (issue 15): created if missing, never overwritten."""

from django.db import migrations

from core.migration_ops import email_templates_seed

TEMPLATES = [
    ("report_ready", "Report export ready", "Your {{ report }} report is ready",
     "<p>Hello {{ name }},</p><p>The {{ report }} report you asked for ({{ format }}) is ready. "
     "Download it here within {{ hours }} hours, signed in with your back-office account: "
     "<a href=\"{{ link }}\">{{ link }}</a></p>",
     "Hello {{ name }},\n\nThe {{ report }} report you asked for ({{ format }}) is ready.\n"
     "Download it here within {{ hours }} hours, signed in with your back-office account:\n"
     "{{ link }}",
     {"name": "Ana Horvat", "report": "Sales", "format": "CSV", "hours": 72,
      "link": "https://tickets.hns.example/reports/exports/abc"}),
]


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), ("core", "0008_external_ticket_email")]
    operations = [email_templates_seed(TEMPLATES)]
