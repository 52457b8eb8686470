"""Managing packages and their options (Match Manager): create, update with the version the
editor read (a stale one is 409), delete while nothing was sold, reorder, image, options.
Every change is audited as `package.*`."""

from django.db import transaction
from django.db.models import F

from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_first, lock_rows
from seating.models import Match, PriceCategory
from ticketing.packages.models import (
    CHOICES_MAX,
    CHOICES_MIN,
    OPTIONS_MAX,
    OptionKind,
    Package,
    PackageOption,
)
from ticketing.packages.services.images import image_remove, image_store

EDITABLE = ("name", "description", "price", "seats_per_package", "quantity_limit",
            "is_sponsorship", "display_order", "is_active")
OPTION_EDITABLE = ("kind", "label", "choices", "is_required", "is_active", "display_order")


def package_get(*, match_id: int, package_id: int, lock: bool = False) -> Package:
    packages = Package.objects.filter(pk=package_id, match_id=match_id)
    package = lock_first(packages) if lock else packages.first()
    if package is None:
        raise NotFound("This match has no such package.", code="package_not_found")
    return package


def package_snapshot(package: Package) -> dict:
    return {**{name: str(getattr(package, name)) for name in EDITABLE},
            "zone_ids": sorted(package.zones.values_list("id", flat=True)),
            "version": package.version, "image": package.image.name or ""}


def _zones(match_id: int, ids) -> list[int]:
    ids = sorted(set(ids))
    if not ids:
        raise ValidationFailed("Choose at least one zone for the package's seats.",
                               code="package_zones", field="zone_ids")
    found = set(PriceCategory.objects.filter(pk__in=ids, match_id=match_id)
                .values_list("pk", flat=True))
    if found != set(ids):
        raise ValidationFailed(f"Not zones of this match: {sorted(set(ids) - found)}.",
                               code="package_zones", field="zone_ids")
    return ids


def _limit_check(package: Package, limit: int | None) -> None:
    if limit is not None and limit < package.taken:
        raise ValidationFailed(
            f"{package.sold_count} sold and {package.held_count} in carts: the limit cannot go "
            f"below {package.taken}.", code="package_limit_below_sold", field="quantity_limit")


def package_create(*, actor, match_id: int, data: dict, request=None) -> Package:
    if not Match.objects.filter(pk=match_id).exists():
        raise NotFound("No such match.", code="match_not_found")
    zone_ids = _zones(match_id, data.get("zone_ids", []))
    with transaction.atomic():
        package = Package(match_id=match_id, created_by=actor,
                          **{k: data[k] for k in EDITABLE if k in data})
        if "display_order" not in data:
            package.display_order = (Package.objects.filter(match_id=match_id).count())
        package.save()
        package.zones.set(zone_ids)
        audit_record(actor=actor, action="package.created", obj=package, request=request,
                     after=package_snapshot(package))
    return package


def package_update(*, actor, match_id: int, package_id: int, version: int, data: dict,
                   request=None) -> Package:
    """Change what `data` names, if the package is still at `version` (409 otherwise)."""
    with transaction.atomic():
        package = package_get(match_id=match_id, package_id=package_id, lock=True)
        if package.version != version:
            raise Conflict("Someone changed this package meanwhile: reload it and edit again.",
                           code="package_changed", field="version")
        if "quantity_limit" in data:
            _limit_check(package, data["quantity_limit"])
        before = package_snapshot(package)
        for name in EDITABLE:
            if name in data:
                setattr(package, name, data[name])
        package.version = F("version") + 1
        package.save(update_fields=[*[n for n in EDITABLE if n in data], "version",
                                    "updated_at"])
        if "zone_ids" in data:
            package.zones.set(_zones(match_id, data["zone_ids"]))
        package.refresh_from_db()
        audit_record(actor=actor, action="package.updated", obj=package, request=request,
                     before=before, after=package_snapshot(package))
    return package


def package_delete(*, actor, match_id: int, package_id: int, request=None) -> None:
    with transaction.atomic():
        package = package_get(match_id=match_id, package_id=package_id, lock=True)
        if package.taken or package.purchases.exists() or package.cart_lines.exists():
            raise Conflict(f"{package.sold_count} sold and {package.held_count} in carts: "
                           "deactivate the package instead.", code="package_has_sales")
        before = package_snapshot(package)
        image_remove(package)
        audit_record(actor=actor, action="package.deleted", obj=package, request=request,
                     before=before)
        package.delete()


def packages_reorder(*, actor, match_id: int, package_ids: list[int], request=None) -> None:
    """The match's packages in this order; every one of them named once, no other."""
    with transaction.atomic():
        packages = lock_rows(Package.objects.filter(match_id=match_id))
        known = {p.pk for p in packages}
        if len(set(package_ids)) != len(package_ids) or set(package_ids) != known:
            raise ValidationFailed("Name every package of this match exactly once "
                                   f"(it has {sorted(known)}).", code="package_order",
                                   field="package_ids")
        before = [p.pk for p in sorted(packages, key=lambda p: (p.display_order, p.pk))]
        by_id = {p.pk: p for p in packages}
        for position, package_id in enumerate(package_ids):
            by_id[package_id].display_order = position
        Package.objects.bulk_update(packages, ["display_order"])
        audit_record(actor=actor, action="package.reordered", obj=Match(pk=match_id),
                     request=request, before={"order": before}, after={"order": package_ids})


def package_image_set(*, actor, match_id: int, package_id: int, uploaded, request=None
                      ) -> Package:
    with transaction.atomic():
        package = package_get(match_id=match_id, package_id=package_id, lock=True)
        image_store(package, uploaded)
        package.save(update_fields=["image", "thumbnail", "updated_at"])
        audit_record(actor=actor, action="package.image_set", obj=package, request=request,
                     after={"image": package.image.name})
    return package


def package_image_remove(*, actor, match_id: int, package_id: int, request=None) -> Package:
    with transaction.atomic():
        package = package_get(match_id=match_id, package_id=package_id, lock=True)
        before = package.image.name
        image_remove(package)
        package.save(update_fields=["image", "thumbnail", "updated_at"])
        audit_record(actor=actor, action="package.image_removed", obj=package, request=request,
                     before={"image": before})
    return package


# --- options ---------------------------------------------------------------------------------

def option_check(kind: str, choices: list) -> list:
    """The choices an option of `kind` keeps: 2 to 10 distinct answers for a multi-select,
    none otherwise."""
    if kind != OptionKind.MULTI_SELECT:
        if choices:
            raise ValidationFailed("Only a multiple-choice option has choices.",
                                   code="option_choices", field="choices")
        return []
    cleaned = [str(c).strip() for c in choices or []]
    if (not CHOICES_MIN <= len(cleaned) <= CHOICES_MAX or "" in cleaned
            or len(set(cleaned)) != len(cleaned)):
        raise ValidationFailed(f"A multiple-choice option has {CHOICES_MIN} to {CHOICES_MAX} "
                               "distinct, non-empty choices.", code="option_choices",
                               field="choices")
    return cleaned


def option_create(*, actor, match_id: int, package_id: int, data: dict, request=None
                  ) -> PackageOption:
    with transaction.atomic():
        package = package_get(match_id=match_id, package_id=package_id, lock=True)
        if package.options.count() >= OPTIONS_MAX:
            raise ValidationFailed(f"A package has at most {OPTIONS_MAX} options.",
                                   code="options_max", field="options")
        option = PackageOption(package=package, **{k: data[k] for k in OPTION_EDITABLE
                                                   if k in data})
        option.choices = option_check(option.kind, option.choices)
        option.save()
        audit_record(actor=actor, action="package.option_created", obj=package,
                     request=request, after={"option_id": option.pk, "label": option.label})
    return option


def _option_get(package: Package, option_id: int) -> PackageOption:
    option = package.options.filter(pk=option_id).first()
    if option is None:
        raise NotFound("This package has no such option.", code="option_not_found")
    return option


def option_update(*, actor, match_id: int, package_id: int, option_id: int, data: dict,
                  request=None) -> PackageOption:
    with transaction.atomic():
        package = package_get(match_id=match_id, package_id=package_id, lock=True)
        option = _option_get(package, option_id)
        answered = option.responses.exists()
        if answered and any(k in data and data[k] != getattr(option, k)
                            for k in ("kind", "choices")):
            raise Conflict("This option has answers: its kind and choices stay; add a new "
                           "option instead.", code="option_answered")
        for name in OPTION_EDITABLE:
            if name in data:
                setattr(option, name, data[name])
        option.choices = option_check(option.kind, option.choices)
        option.save()
        audit_record(actor=actor, action="package.option_updated", obj=package,
                     request=request, after={"option_id": option.pk,
                                             **{k: data[k] for k in OPTION_EDITABLE
                                                if k in data}})
    return option


def option_delete(*, actor, match_id: int, package_id: int, option_id: int,
                  request=None) -> None:
    with transaction.atomic():
        package = package_get(match_id=match_id, package_id=package_id, lock=True)
        option = _option_get(package, option_id)
        if option.responses.exists():
            raise Conflict("This option has answers: deactivate it instead.",
                           code="option_answered")
        audit_record(actor=actor, action="package.option_deleted", obj=package,
                     request=request, before={"option_id": option.pk, "label": option.label})
        option.delete()
