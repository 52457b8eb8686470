"""The after-sale's email templates (issue 11): created if missing, never overwritten."""

from django.db import migrations

from core.migration_ops import email_templates_seed


TEMPLATES = [
    ("cancellation_confirmation", "Cancellation confirmation",
     "Tickets of order {{ order_number }} cancelled",
     "<p>Hello {{ name }},</p><p>{{ ticket_count }} ticket(s) of order {{ order_number }} for "
     "{{ match }} are cancelled. We are refunding {{ amount }} EUR to your card; it may take a "
     "few days to appear on your statement.</p>",
     "Hello {{ name }},\n\n{{ ticket_count }} ticket(s) of order {{ order_number }} for "
     "{{ match }} are cancelled.\nWe are refunding {{ amount }} EUR to your card; it may take a "
     "few days to appear on your statement.",
     {"name": "Ana Horvat", "ticket_count": 1, "order_number": "HNS-2026-000123",
      "match": "Croatia v Italy", "amount": "53.00"}),
    ("ticket_transferred_away", "Ticket transferred away", "Your ticket for {{ match }} was "
     "transferred",
     "<p>Hello {{ name }},</p><p>Your ticket for {{ match }} now belongs to {{ recipient }}. "
     "Its old QR code no longer opens the gates.</p>",
     "Hello {{ name }},\n\nYour ticket for {{ match }} now belongs to {{ recipient }}.\n"
     "Its old QR code no longer opens the gates.",
     {"name": "Ana Horvat", "recipient": "Ivana Babić", "match": "Croatia v Italy"}),
    ("seat_change", "Seat change", "Your seat for {{ match }} has changed",
     "<p>Hello {{ name }},</p><p>Your seat for {{ match }} has moved to sector {{ sector }}, "
     "row {{ row }}, seat {{ seat }}. Reason: {{ reason }}. Your ticket in the app shows the "
     "new seat.</p>",
     "Hello {{ name }},\n\nYour seat for {{ match }} has moved to sector {{ sector }}, row "
     "{{ row }}, seat {{ seat }}.\nReason: {{ reason }}.\nYour ticket in the app shows the new "
     "seat.",
     {"name": "Ana Horvat", "match": "Croatia v Italy", "sector": "B2", "row": "4", "seat": "11",
      "reason": "sector closed for safety works"}),
]


class Migration(migrations.Migration):
    dependencies = [("core", "0006_delivery_claims")]
    operations = [email_templates_seed(TEMPLATES)]
