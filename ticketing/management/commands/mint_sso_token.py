from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ticketing.sso import local_sso_token_mint


class Command(BaseCommand):
    help = ("Print a webshop-style SSO token for an email, signed with the embedded default's "
            "local key; exchange it at POST /api/auth/login. Demo and development only.")

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--drupal-id", help="Drupal user id (default: the email)")
        parser.add_argument("--minutes", type=int, default=60)
        parser.add_argument("--status", default="active", help="active, blocked, inactive")

    def handle(self, email, drupal_id, minutes, status, **_):
        if settings.SSO_JWKS_URL or settings.SSO_PUBLIC_KEY or settings.SSO_PUBLIC_KEY_FILE:
            raise CommandError("A real SSO key is configured: tokens come from the federation's "
                               "webshop, not from this command.")
        token = local_sso_token_mint(email=email, drupal_user_id=drupal_id or email,
                                     status=status, lifetime_seconds=minutes * 60)
        self.stdout.write(token)
