"""Back-office roles are Django groups (created by core's migration 0003). Each role gets the
model permissions of what it manages, so Django Admin shows it only those models, and admin API
routes check the role with `HasRole`. Superusers and Super Admins pass every check."""

from django.contrib.auth.models import Group, Permission
from rest_framework.permissions import BasePermission


class Role:
    SUPER_ADMIN = "Super Admin"
    MATCH_MANAGER = "Match Manager"
    QUOTA_MANAGER = "Quota Manager"
    SUPPORT_AGENT = "Support Agent"
    SUPERVISOR = "Supervisor"
    PETROL_STAFF = "Petrol Staff"
    FINANCE = "Finance"  # debtors, payment offers, e-računi documents, the financial report

    ALL = (SUPER_ADMIN, MATCH_MANAGER, QUOTA_MANAGER, SUPPORT_AGENT, SUPERVISOR, PETROL_STAFF,
           FINANCE)


# app_label.model -> permission actions, per role. Later apps add their models here.
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.MATCH_MANAGER: {
        "core.emailtemplate": ("view",),
        **{f"seating.{model}": ("view", "add", "change", "delete") for model in (
            "stadium", "sector", "sectorseatmap", "seat", "snakeconfig", "match", "salesphase",
            "pricecategory", "matchsector")},
        "seating.seatinventory": ("view", "change"),
        "seating.seatauditlog": ("view",),
        "seating.bulkstatusjob": ("view",),
        "reports.reportexportjob": ("view", "add"),
        "seating.matchauditlog": ("view",),
        "aftersale.matchcancellation": ("view",),
        "loyalty.loyaltypoint": ("view",),
        "promotions.promocode": ("view", "add", "change", "delete"),
        "promotions.promocodeapplication": ("view",),
        "packages.package": ("view", "add", "change", "delete"),
        "packages.packageoption": ("view", "add", "change", "delete"),
        "packages.packagepurchase": ("view",),
        "packages.optionresponse": ("view",),
        "gates.barcodeexportlog": ("view",),
        "gates.attendanceimport": ("view",),
        "gates.attendanceunmatched": ("view",),
        "gates.gatedevice": ("view", "add", "change"),
        "gates.gatescan": ("view",),
        "petrol.petrolquota": ("view", "add"),
        "petrol.petrolstation": ("view", "add", "change"),
        "petrol.petrolstaffmember": ("view", "add", "change", "delete"),
        **{f"petrol.{model}": ("view",) for model in (
            "petrolpin", "petrolreservation", "petrolsale")},
    },
    Role.QUOTA_MANAGER: {
        "core.emailtemplate": ("view",),
        "seating.match": ("view",),
        "seating.seatinventory": ("view",),
        "quotas.quota": ("view", "add", "change", "delete"),
        "quotas.quotaseat": ("view",),
        "quotas.quotaclaim": ("view",),
        "quotas.importbatch": ("view", "add"),
        "reports.reportexportjob": ("view", "add"),
    },
    Role.SUPPORT_AGENT: {
        "seating.match": ("view",),
        "seating.seatinventory": ("view",),
        "ticketing.user": ("view",),
        "ticketing.profile": ("view",),
        "core.emaillog": ("view",),
        "core.pushlog": ("view",),
        "ticketing.order": ("view",),
        "ticketing.ticket": ("view",),
        "payments.payment": ("view",),
        "payments.refund": ("view",),
        "aftersale.cancellationrequest": ("view",),
        "aftersale.transferlog": ("view",),
        "loyalty.loyaltypoint": ("view",),
        "support.supporttransferrequest": ("view",),
        "support.supportrefundrequest": ("view",),
        "support.printlog": ("view",),
    },
    Role.SUPERVISOR: {
        "aftersale.cancellationrequest": ("view",),
        "aftersale.transferlog": ("view",),
        "ticketing.order": ("view",),
        "ticketing.ticket": ("view",),
        "payments.payment": ("view",),
        "payments.refund": ("view",),
        "ticketing.user": ("view",),
        "core.auditevent": ("view",),
        "core.emaillog": ("view",),
        "core.pushlog": ("view",),
        "loyalty.loyaltypoint": ("view",),
        "accessctl.blacklistentry": ("view", "add", "change", "delete"),
        "accessctl.blacklistauditlog": ("view",),
        "accessctl.blacklistimportbatch": ("view", "add"),
        "accessctl.blacklistviolation": ("view",),
        "support.supporttransferrequest": ("view",),
        "support.supportrefundrequest": ("view",),
        "support.printlog": ("view",),
    },
    Role.PETROL_STAFF: {},
    Role.FINANCE: {
        "invoicing.debtor": ("view", "add", "change"),
        "invoicing.paymentoffer": ("view",),
        "invoicing.eracunidocument": ("view",),
        "payments.debt": ("view",),
        "payments.payment": ("view",),
        "payments.refund": ("view",),
        "ticketing.order": ("view",),
        "seating.match": ("view",),
        "reports.reportexportjob": ("view", "add"),
    },
}


def user_has_role(user, *roles: str) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    names = set(user.groups.values_list("name", flat=True))
    return Role.SUPER_ADMIN in names or bool(names.intersection(roles))


def is_back_office(user) -> bool:
    """Staff, superuser or holding any role: an account that must sign in with its own
    password (the Django admin), never through the webshop's SSO or a magic link."""
    return bool(user.is_staff or user.is_superuser or user.groups.exists())


def HasRole(*roles: str) -> type[BasePermission]:
    """DRF permission: authenticated (else 401) and holding one of `roles` (else 403)."""

    class _HasRole(BasePermission):
        message = f"This needs the role {' or '.join(roles)}."

        def has_permission(self, request, view):
            return user_has_role(request.user, *roles)

    _HasRole.__name__ = f"HasRole({', '.join(roles)})"
    return _HasRole


def roles_sync(**_) -> None:
    """Create the groups and give each exactly its permissions (post_migrate: idempotent)."""
    all_perms = Permission.objects.select_related("content_type")
    by_key = {f"{p.content_type.app_label}.{p.codename}": p for p in all_perms}
    for name in Role.ALL:
        group, _ = Group.objects.get_or_create(name=name)
        if name == Role.SUPER_ADMIN:
            group.permissions.set(by_key.values())
            continue
        wanted = []
        for label, actions in ROLE_PERMISSIONS.get(name, {}).items():
            app_label, model = label.split(".")
            wanted += [by_key[k] for a in actions if (k := f"{app_label}.{a}_{model}") in by_key]
        group.permissions.set(wanted)
