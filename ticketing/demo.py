"""Demo accounts for the embedded default (idempotent)."""

from datetime import date

from django.contrib.auth.models import Group

from core.roles import Role, roles_sync
from ticketing.models import Profile, User
from ticketing.services.profiles import profile_create

DEMO_PASSWORD = "demo-pass-2026"
ADMIN = ("admin@hns.example", "Super Admin (Django superuser)")
STAFF = {
    Role.MATCH_MANAGER: "matches@hns.example",
    Role.QUOTA_MANAGER: "quotas@hns.example",
    Role.SUPPORT_AGENT: "support@hns.example",
    Role.SUPERVISOR: "supervisor@hns.example",
    Role.PETROL_STAFF: "petrol@hns.example",
}
FAN_EMAIL = "fan@hns.example"
FAN_OIB = "69435151530"


def seed_accounts() -> list[tuple[str, str]]:
    """Create the demo logins; returns (email, what it is) pairs for the banner."""
    roles_sync()
    admin, created = User.objects.get_or_create(
        email=ADMIN[0], defaults={"is_staff": True, "is_superuser": True})
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password"])
    logins = [ADMIN]
    for role, email in STAFF.items():
        user, created = User.objects.get_or_create(email=email, defaults={"is_staff": True})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.groups.set([Group.objects.get(name=role)])
        logins.append((email, role))

    fan, _ = User.objects.get_or_create(email=FAN_EMAIL, defaults={"drupal_user_id": "demo-fan-1"})
    if not Profile.objects.filter(user=fan).exists():
        profile_create(user=fan, data=dict(
            first_name="Ana", last_name="Horvat", date_of_birth=date(1990, 5, 17),
            nationality="HR", oib=FAN_OIB, email=FAN_EMAIL, phone="+385911234567",
            address="Ilica 1", city="Zagreb", postal_code="10000"))
    logins.append((FAN_EMAIL, "fan (mobile app, signs in via SSO token)"))
    return logins
