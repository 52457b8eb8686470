"""Managing promo codes (Match Manager, US7): create, update with the version the editor read
(a stale one is 409, so two admins' edits never overwrite each other), deactivate, and delete
while nothing used it. Every change is audited as `promo_code.*`."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from core.locks import lock_one
from seating.models import Match, MatchSector, PriceCategory
from ticketing.packages.models import Package
from ticketing.promotions.models import PromoCode, PromoKind
from ticketing.promotions.services.codes import code_normalize

EDITABLE = ("code", "kind", "value", "valid_from", "valid_until", "max_uses",
            "max_uses_per_buyer", "is_active")


def promo_code_get(promo_id: int) -> PromoCode:
    try:
        return PromoCode.objects.select_related("match").get(pk=promo_id)
    except PromoCode.DoesNotExist:
        raise NotFound("No such promo code.", code="promo_code_not_found") from None


def promo_snapshot(promo: PromoCode) -> dict:
    return {"code": promo.code, "match_id": promo.match_id, "kind": promo.kind,
            "value": str(promo.value), "valid_from": str(promo.valid_from or ""),
            "valid_until": str(promo.valid_until or ""), "max_uses": promo.max_uses,
            "max_uses_per_buyer": promo.max_uses_per_buyer, "is_active": promo.is_active,
            "version": promo.version,
            "price_category_ids": sorted(promo.price_categories.values_list("id", flat=True)),
            "match_sector_ids": sorted(promo.match_sectors.values_list("id", flat=True)),
            "package_ids": sorted(promo.packages.values_list("id", flat=True))}


def _check(data: dict, promo: PromoCode | None = None) -> None:
    def get(name):
        return data[name] if name in data else getattr(promo, name, None)

    kind, value = get("kind"), get("value")
    if kind == PromoKind.PERCENT and not 1 <= value <= 100:
        raise ValidationFailed("A percentage is 1 to 100.", code="promo_value", field="value")
    if kind == PromoKind.FIXED and (value < 1 or value != value.quantize(Decimal("0.01"))):
        raise ValidationFailed("A fixed discount is at least 1.00 EUR, in cents.",
                               code="promo_value", field="value")
    if get("valid_from") and get("valid_until") and get("valid_until") <= get("valid_from"):
        raise ValidationFailed("valid_until must be after valid_from.", code="promo_dates",
                               field="valid_until")
    if promo is not None and get("max_uses") is not None and get("max_uses") < promo.uses_count:
        raise Conflict(f"This code was used {promo.uses_count} times already.",
                       code="promo_max_below_uses", field="max_uses")


def _targets(match_id: int | None, data: dict, promo: PromoCode | None) -> None:
    """Set the zones and sectors the code applies to: the match's own, only for a match's code."""
    for name, model, rel in (("price_category_ids", PriceCategory, "price_categories"),
                             ("match_sector_ids", MatchSector, "match_sectors"),
                             ("package_ids", Package, "packages")):
        if name not in data:
            continue
        ids = set(data[name])
        if ids and match_id is None:
            raise ValidationFailed("A platform-wide code applies to every ticket.",
                                   code="promo_targets", field=name)
        found = set(model.objects.filter(pk__in=ids, match_id=match_id)
                    .values_list("pk", flat=True))
        if found != ids:
            raise ValidationFailed(f"Not of this match: {sorted(ids - found)}.",
                                   code="promo_targets", field=name)
        getattr(promo, rel).set(ids)


def _duplicate():
    return Conflict("This code exists already for this match.", code="promo_code_exists",
                    field="code")


def promo_code_create(*, actor, data: dict, request=None) -> PromoCode:
    match_id = data.get("match_id")
    if match_id is not None and not Match.objects.filter(pk=match_id).exists():
        raise NotFound("No such match.", code="match_not_found", field="match_id")
    _check(data)
    fields = {name: data[name] for name in EDITABLE if name in data}
    fields["code"] = code_normalize(fields["code"])
    try:
        with transaction.atomic():
            promo = PromoCode.objects.create(match_id=match_id, created_by=actor, **fields)
            _targets(match_id, data, promo)
            audit_record(actor=actor, action="promo_code.created", obj=promo, request=request,
                         after=promo_snapshot(promo))
    except IntegrityError:
        raise _duplicate() from None
    return promo


def promo_code_update(*, actor, promo_id: int, version: int, data: dict,
                      request=None) -> PromoCode:
    """Change the code if nobody else did since the editor read `version` (409 otherwise)."""
    try:
        with transaction.atomic():
            promo = promo_code_get(promo_id)
            # Checkouts wait meanwhile, so max_uses is checked against uses that cannot move.
            promo.uses_count = lock_one(PromoCode.objects.filter(pk=promo_id)).uses_count
            before = promo_snapshot(promo)
            _check(data, promo)
            fields = {name: data[name] for name in EDITABLE if name in data}
            if "code" in fields:
                fields["code"] = code_normalize(fields["code"])
            changed = PromoCode.objects.filter(pk=promo_id, version=version).update(
                version=F("version") + 1, **fields)
            if not changed:
                raise Conflict("Someone else changed this code meanwhile; reload it.",
                               code="stale_version", field="version")
            promo.refresh_from_db()
            _targets(promo.match_id, data, promo)
            audit_record(actor=actor, action="promo_code.updated", obj=promo, request=request,
                         before=before, after=promo_snapshot(promo))
    except IntegrityError:
        raise _duplicate() from None
    return promo


def promo_code_deactivate(*, actor, promo_id: int, request=None) -> PromoCode:
    promo = promo_code_get(promo_id)
    PromoCode.objects.filter(pk=promo_id).update(is_active=False, version=F("version") + 1)
    promo.refresh_from_db()
    audit_record(actor=actor, action="promo_code.deactivated", obj=promo, request=request,
                 before={"is_active": True}, after={"is_active": False})
    return promo


def promo_code_delete(*, actor, promo_id: int, request=None) -> None:
    """Delete a code nobody used (its applications are the sales' history; deactivate those)."""
    with transaction.atomic():
        promo = promo_code_get(promo_id)
        if promo.uses_count or promo.applications.exists():
            raise Conflict("This code was used; deactivate it instead.", code="promo_code_used")
        snapshot = promo_snapshot(promo)
        audit_record(actor=actor, action="promo_code.deleted", obj=promo, request=request,
                     before=snapshot)
        promo.delete()
