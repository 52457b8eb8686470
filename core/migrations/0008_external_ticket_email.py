"""The away-match PDF ticket email (issue 14): created if missing, never overwritten."""

from django.db import migrations

from core.migration_ops import email_templates_seed

TEMPLATES = [
    ("external_ticket", "Away-match PDF ticket", "Your ticket for {{ match }}",
     "<p>Hello {{ name }},</p><p>The host's ticket for {{ match }} on {{ kickoff }} is ready. "
     "Print it or keep it on your phone: the host's gates scan it. Download it here (the link "
     "works until the match): <a href=\"{{ link }}\">{{ link }}</a></p>",
     "Hello {{ name }},\n\nThe host's ticket for {{ match }} on {{ kickoff }} is ready.\n"
     "Print it or keep it on your phone: the host's gates scan it.\n"
     "Download it here (the link works until the match): {{ link }}",
     {"name": "Ana Horvat", "match": "Italy v Croatia", "kickoff": "2026-12-05 20:45",
      "link": "https://tickets.hns.example/tickets/pdf/abc"}),
]


class Migration(migrations.Migration):
    dependencies = [("core", "0007_after_sale_email_templates")]
    operations = [email_templates_seed(TEMPLATES)]
