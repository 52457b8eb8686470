"""Seed the transactional email templates. Admins edit them in Django Admin afterwards; this
migration only creates missing ones, so it never overwrites an edited template."""

from django.db import migrations

from core.migration_ops import email_templates_seed


TEMPLATES = [
    ("order_confirmation", "Order confirmation", "Order {{ order_number }} confirmed",
     "<p>Hello {{ name }},</p><p>Thank you for your order <strong>{{ order_number }}</strong> for "
     "{{ match }}. Total paid: {{ total }} EUR.</p><p>Your tickets are in the app.</p>",
     "Hello {{ name }},\n\nThank you for your order {{ order_number }} for {{ match }}.\n"
     "Total paid: {{ total }} EUR.\nYour tickets are in the app.",
     {"name": "Ana Horvat", "order_number": "HNS-2026-000123", "match": "Croatia v Italy",
      "total": "106.00"}),
    ("ticket_delivery", "Ticket delivery", "Your tickets for {{ match }}",
     "<p>Hello {{ name }},</p><p>Your {{ ticket_count }} ticket(s) for {{ match }} on "
     "{{ kickoff }} are ready. Open them in the app: <a href=\"{{ link }}\">{{ link }}</a></p>",
     "Hello {{ name }},\n\nYour {{ ticket_count }} ticket(s) for {{ match }} on {{ kickoff }} "
     "are ready.\nOpen them in the app: {{ link }}",
     {"name": "Ana Horvat", "ticket_count": 2, "match": "Croatia v Italy",
      "kickoff": "2026-12-05 20:45", "link": "https://tickets.hns.example/app/tickets"}),
    ("quota_invitation", "Quota invitation", "Your tickets for {{ match }} are waiting",
     "<p>Hello {{ name }},</p><p>The Croatian Football Federation has set aside "
     "{{ quantity }} ticket(s) for you for {{ match }}. Claim them by {{ expires_at }}:</p>"
     "<p><a href=\"{{ link }}\">Open your tickets</a> &middot; in the app: "
     "<a href=\"{{ app_link }}\">{{ app_link }}</a></p>",
     "Hello {{ name }},\n\nThe Croatian Football Federation has set aside {{ quantity }} "
     "ticket(s) for you for {{ match }}.\nClaim them by {{ expires_at }}: {{ link }}\n"
     "In the app: {{ app_link }}",
     {"name": "Marko Kovač", "quantity": 10, "match": "Croatia v Italy",
      "expires_at": "2026-12-01", "link": "https://tickets.hns.example/portal/magic/abc",
      "app_link": "hnstickets://quotas/42"}),
    ("subquota_invitation", "Subquota invitation", "{{ sender }} sent you tickets for {{ match }}",
     "<p>Hello,</p><p>{{ sender }} has sent you {{ quantity }} ticket(s) for {{ match }}.</p>"
     "<p><a href=\"{{ link }}\">Claim your tickets</a> &middot; in the app: "
     "<a href=\"{{ app_link }}\">{{ app_link }}</a></p>",
     "Hello,\n\n{{ sender }} has sent you {{ quantity }} ticket(s) for {{ match }}.\n"
     "Claim them: {{ link }}\nIn the app: {{ app_link }}",
     {"sender": "Marko Kovač", "quantity": 2, "match": "Croatia v Italy",
      "link": "https://tickets.hns.example/portal/magic/def", "app_link": "hnstickets://quotas/43"}),
    ("quota_cancellation", "Quota cancellation", "Your ticket quota for {{ match }} has changed",
     "<p>Hello {{ name }},</p><p>{{ cancelled_count }} unclaimed ticket(s) of your quota for "
     "{{ match }} have been cancelled. Tickets you already claimed stay valid.</p>",
     "Hello {{ name }},\n\n{{ cancelled_count }} unclaimed ticket(s) of your quota for "
     "{{ match }} have been cancelled.\nTickets you already claimed stay valid.",
     {"name": "Marko Kovač", "cancelled_count": 4, "match": "Croatia v Italy"}),
    ("ticket_transfer", "Ticket transfer", "{{ sender }} transferred a ticket to you",
     "<p>Hello {{ name }},</p><p>{{ sender }} transferred a ticket for {{ match }} to you "
     "(sector {{ sector }}, row {{ row }}, seat {{ seat }}). It is now in your app.</p>",
     "Hello {{ name }},\n\n{{ sender }} transferred a ticket for {{ match }} to you\n"
     "(sector {{ sector }}, row {{ row }}, seat {{ seat }}). It is now in your app.",
     {"name": "Ivana Babić", "sender": "Ana Horvat", "match": "Croatia v Italy", "sector": "A1",
      "row": "12", "seat": "7"}),
    ("ticket_cancellation", "Ticket cancellation", "Your ticket for {{ match }} was cancelled",
     "<p>Hello {{ name }},</p><p>Your ticket {{ barcode_last4 }} for {{ match }} has been "
     "cancelled. Reason: {{ reason }}.</p>",
     "Hello {{ name }},\n\nYour ticket {{ barcode_last4 }} for {{ match }} has been cancelled.\n"
     "Reason: {{ reason }}.",
     {"name": "Ana Horvat", "barcode_last4": "…8841", "match": "Croatia v Italy",
      "reason": "requested by the holder"}),
    ("match_update", "Match update", "Update: {{ match }}",
     "<p>Hello {{ name }},</p><p>There is news about {{ match }}: {{ change }}</p>"
     "<p>Your tickets stay valid.</p>",
     "Hello {{ name }},\n\nThere is news about {{ match }}: {{ change }}\nYour tickets stay valid.",
     {"name": "Ana Horvat", "match": "Croatia v Italy",
      "change": "kick-off moved to 2026-12-05 18:00"}),
    ("match_cancellation", "Match cancellation", "{{ match }} has been cancelled",
     "<p>Hello {{ name }},</p><p>We are sorry: {{ match }} has been cancelled. "
     "{{ refund_note }}</p>",
     "Hello {{ name }},\n\nWe are sorry: {{ match }} has been cancelled.\n{{ refund_note }}",
     {"name": "Ana Horvat", "match": "Croatia v Italy",
      "refund_note": "Your payment will be refunded automatically within 10 days."}),
    ("queue_turn", "Queue turn", "It's your turn to buy tickets for {{ match }}",
     "<p>Hello {{ name }},</p><p>It's your turn! You have {{ window_minutes }} minutes to "
     "choose your tickets for {{ match }}.</p><p><a href=\"{{ link }}\">Buy now</a></p>",
     "Hello {{ name }},\n\nIt's your turn! You have {{ window_minutes }} minutes to choose "
     "your tickets for {{ match }}.\nBuy now: {{ link }}",
     {"name": "Ana Horvat", "match": "Croatia v Italy", "window_minutes": 20,
      "link": "hnstickets://queue/7"}),
    ("refund", "Refund", "Refund for order {{ order_number }}",
     "<p>Hello {{ name }},</p><p>We have refunded {{ amount }} EUR for order "
     "{{ order_number }}. It may take a few days to appear on your statement.</p>",
     "Hello {{ name }},\n\nWe have refunded {{ amount }} EUR for order {{ order_number }}.\n"
     "It may take a few days to appear on your statement.",
     {"name": "Ana Horvat", "amount": "53.00", "order_number": "HNS-2026-000123"}),
]


class Migration(migrations.Migration):
    dependencies = [("core", "0004_roles")]
    operations = [email_templates_seed(TEMPLATES)]
