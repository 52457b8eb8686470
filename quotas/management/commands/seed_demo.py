from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from quotas import demo as quotas_demo
from quotas.services.magic_links import magic_link_issue
from seating import demo as seating_demo
from ticketing import demo as accounts_demo
from ticketing.packages import demo as packages_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print where to go and how to sign in."

    def handle(self, **_):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "seed_demo creates accounts with a published password and is refused with "
                "DJANGO_DEBUG off; set DEMO_DATA_ALLOWED=true only for a throwaway demo.")
        with transaction.atomic():
            logins = accounts_demo.seed_accounts()
            matches = seating_demo.seed_matches()
            quotas = quotas_demo.seed_quotas(matches)
            packages = packages_demo.seed_packages(matches)
        site = settings.SITE_URL
        lines = [
            "",
            "HNS Ticketing is running on its embedded defaults.",
            f"  Admin:     {site}/admin/",
            f"  API docs:  {site}/api/docs/   (schema: {site}/api/schema/)",
            f"  Health:    {site}/healthz",
            "",
            "Matches:",
            *[f"  #{m.id} {m} [{m.match_type}, {m.status}] "
              + (f"seat map: {site}/admin/seating/match/{m.id}/seat-map/" if m.is_numbered
                 else "standing (sold by capacity)")
              for m in matches],
            "",
            "Ticket packages (GET /api/matches/<id>/packages; promo code "
            f"{packages_demo.DEMO_CODE} takes 10 % off the family package):",
            *[f"  #{p.id} {p.name} on match #{p.match_id}: {p.price} EUR for "
              f"{p.seats_per_package} seat(s)" for p in packages],
            "",
            f"Quota portal: {site}/portal/  (each link below signs in as that holder):",
            *[f"  {q.recipient_email:<22} {q.quantity} for {q.match.home_team} v "
              f"{q.match.away_team} ({_terms(q)})\n    {magic_link_issue(quota=q)}"
              for q in quotas],
            "",
            f"Back-office logins (password '{accounts_demo.DEMO_PASSWORD}'):",
            *[f"  {email:<26} {what}" for email, what in logins if "fan" not in what],
            "",
            f"Fan: {accounts_demo.FAN_EMAIL} signs in through SSO; mint a token and exchange it:",
            f"  .venv/bin/python manage.py mint_sso_token {accounts_demo.FAN_EMAIL} "
            "--drupal-id demo-fan-1",
            f"  curl -X POST {site}/api/auth/login -H 'Content-Type: application/json' "
            "-d '{\"drupal_token\": \"<token>\", \"device_id\": \"demo\"}'",
            "",
        ]
        self.stdout.write("\n".join(lines))


def _terms(quota) -> str:
    if quota.is_free:
        terms = "free (GR)"
    elif quota.deferred_payment:
        terms = "pay later"
    elif quota.discount_percent:
        terms = f"paid, {quota.discount_percent.normalize():f} % off"
    else:
        terms = "paid"
    return terms + (", may send tickets on" if quota.can_create_subquotas else "")
