"""A match's own stadium configuration (E2-F4): its price categories and match sectors.

Sectors come from a stadium template (`match_stadium_copy_template`), from an earlier match
(`match_stadium_import`) or from an away stadium typed in inline (`match_stadium_create_new`).
`match_stadium_validate` checks the configuration and, when it passes, LOCKs it; while LOCKED
every configuration write is refused until `match_stadium_unlock`, which in turn is refused
once sales have started. Every write takes the match's row lock first."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from core.audit import audit_record, snapshot
from core.errors import Conflict, DomainError, NotFound
from seating.models import (
    ConfigStatus,
    GeneralAdmissionHold,
    HoldStatus,
    Match,
    MatchSector,
    MatchSectorStatus,
    PriceCategory,
    SeatInventory,
    SeatStatus,
    SeatType,
    Sector,
    SectorPurpose,
    SectorSeatMap,
    Stadium,
    StadiumType,
)
from seating.services.inventory import inventory_build
from seating.services.matches import changed_fields, match_get, match_item_save

CATEGORY_FIELDS = ("name", "price", "currency", "color")
SECTOR_FIELDS = ("status", "purpose", "price_category", "sellable_capacity")
AUDITED_SECTOR = ("match", "sector", "name", "code", "total_capacity", "technical_seats",
                  "sellable_capacity", "price_category", "status", "purpose", "is_numbered")
# Seats in these statuses belong to someone; replacing the configuration would lose them.
TAKEN = (SeatStatus.SOLD, SeatStatus.RESERVED, SeatStatus.ALLOCATED)


# --- Checks ---------------------------------------------------------------------------------

def _check_unlocked(match: Match) -> None:
    if match.stadium_config_status == ConfigStatus.LOCKED:
        raise Conflict("The stadium configuration is locked; unlock it before changing "
                       "sectors or price categories.", code="config_locked")


def _sold_sector_ids(match: Match, sector_ids: list[int]) -> set[int]:
    seats = SeatInventory.objects.filter(match=match, status=SeatStatus.SOLD,
                                         match_sector_id__in=sector_ids)
    standing = GeneralAdmissionHold.objects.filter(match_sector__match=match,
                                                   status=HoldStatus.SOLD,
                                                   match_sector_id__in=sector_ids)
    return (set(seats.values_list("match_sector_id", flat=True))
            | set(standing.values_list("match_sector_id", flat=True)))


def _check_nothing_sold(match: Match, sector_ids: list[int]) -> None:
    sold = _sold_sector_ids(match, sector_ids)
    if sold:
        codes = ", ".join(MatchSector.objects.filter(id__in=sold).order_by("code")
                          .values_list("code", flat=True))
        raise Conflict(f"Tickets have been sold in {codes}; the sector can no longer be "
                       "changed.", code="tickets_sold")


def match_sales_started(*, match: Match) -> bool:
    """A seat is sold or held in a cart, standing tickets are sold or held, or a sales phase
    has opened."""
    return (SeatInventory.objects.filter(match=match, status__in=(SeatStatus.SOLD,
                                                                  SeatStatus.RESERVED)).exists()
            or GeneralAdmissionHold.objects.filter(
                match_sector__match=match, status__in=(HoldStatus.SOLD, HoldStatus.HELD)).exists()
            or match.sales_phases.filter(start_at__lte=timezone.now()).exists())


# --- Reading --------------------------------------------------------------------------------

def match_sector_list(*, match: Match) -> QuerySet[MatchSector]:
    return match.sectors.select_related("price_category")


def price_category_list(*, match: Match) -> QuerySet[PriceCategory]:
    return match.price_categories.all()


@dataclass
class StadiumConfig:
    match: Match
    venue: Stadium | None
    stadium_config_status: str
    sectors: list[MatchSector]
    price_categories: list[PriceCategory]
    total_capacity: int
    technical_seats: int
    sellable_capacity: int


def match_stadium_get(*, match_id: int) -> StadiumConfig:
    match = match_get(match_id=match_id)
    sectors = list(match_sector_list(match=match))
    return StadiumConfig(
        match=match, venue=match.venue, stadium_config_status=match.stadium_config_status,
        sectors=sectors, price_categories=list(price_category_list(match=match)),
        total_capacity=sum(s.total_capacity for s in sectors),
        technical_seats=sum(s.technical_seats for s in sectors),
        sellable_capacity=sum(s.sellable_capacity for s in sectors))


# --- Replacing the whole configuration --------------------------------------------------------

def _replace_begin(match: Match) -> list[dict]:
    """Refuse while locked or once seats are taken; drop the current sectors (and their
    inventory). Returns the dropped sectors for the audit row."""
    _check_unlocked(match)
    taken = (SeatInventory.objects.filter(match=match, status__in=TAKEN).exists()
             or GeneralAdmissionHold.objects.filter(match_sector__match=match).exclude(
                 status=HoldStatus.RELEASED).exists())
    if taken:
        raise Conflict("Seats of this match are already sold, held or allocated; its stadium "
                       "configuration can no longer be replaced.", code="tickets_sold")
    old = [snapshot(s, "sector", "code", "total_capacity") for s in match.sectors.all()]
    match.sectors.all().delete()
    return old


def _replace_finish(match: Match, sectors: list[MatchSector], *, venue: Stadium | None,
                    source: dict, old: list[dict], actor, request) -> list[MatchSector]:
    MatchSector.objects.bulk_create(sectors)
    sectors = list(match.sectors.all())  # with ids on every database
    for sector in sectors:
        if sector.is_numbered:
            inventory_build(match_sector=sector)
    before = snapshot(match, "venue")
    match.venue = venue
    match.save(update_fields=["venue", "updated_at"])
    audit_record(actor=actor, action="match.stadium_configured", obj=match,
                 before={**before, "sectors": old},
                 after={"venue": match.venue_id, **source,
                        "sectors": [snapshot(s, "sector", "code", "total_capacity")
                                    for s in sectors]},
                 request=request)
    return sectors


def _template_sectors(match: Match, stadium: Stadium, only: list[int] | None = None):
    sectors = (Sector.objects.filter(stadium=stadium)
               .annotate(n_seats=Count("seats"),
                         n_technical=Count("seats", filter=Q(seats__seat_type=SeatType.TECHNICAL)),
                         has_map=Exists(SectorSeatMap.objects.filter(sector=OuterRef("pk")))))
    if only is not None:
        sectors = sectors.filter(id__in=only)
    for sector in sectors:
        total = sector.capacity or sector.n_seats
        technical = sector.n_technical
        yield MatchSector(
            match=match, sector=sector, name=sector.name, code=sector.code,
            total_capacity=total, technical_seats=technical,
            sellable_capacity=max(total - technical, 0),
            is_numbered=match.is_numbered and sector.n_seats > 0,
            has_seat_map=sector.has_map or sector.n_seats > 0,
            display_order=sector.display_order)


def match_stadium_copy_template(*, match_id: int, stadium_template_id: int, actor,
                                request=None) -> list[MatchSector]:
    """Copy every sector of a stadium template into the match; build the seat inventory of
    numbered ones."""
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        stadium = Stadium.objects.filter(pk=stadium_template_id).first()
        if stadium is None:
            raise NotFound(f"There is no stadium {stadium_template_id}.",
                           code="stadium_not_found")
        old = _replace_begin(match)
        sectors = list(_template_sectors(match, stadium))
        return _replace_finish(match, sectors, venue=stadium,
                               source={"stadium_template_id": stadium.pk}, old=old,
                               actor=actor, request=request)


def match_stadium_import(*, match_id: int, import_from_match_id: int, actor,
                         request=None) -> list[MatchSector]:
    """Copy an earlier match's sectors (status, purpose, capacities) and re-create their price
    categories by name (existing same-named categories of this match are reused)."""
    if import_from_match_id == match_id:
        raise DomainError("A match cannot import its own configuration.",
                          code="import_from_self", field="import_from_match_id")
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        source = match_get(match_id=import_from_match_id)
        source_sectors = list(source.sectors.select_related("price_category")
                              .annotate(n_seats=Count("sector__seats")))
        if not source_sectors:
            raise DomainError(f"Match {source.pk} has no stadium configuration to import.",
                              code="nothing_to_import", field="import_from_match_id")
        old = _replace_begin(match)
        categories = {c.name: c for c in match.price_categories.all()}
        sectors = []
        for item in source_sectors:
            category = item.price_category
            if category is not None and category.name not in categories:
                categories[category.name] = PriceCategory.objects.create(
                    match=match, name=category.name, price=category.price,
                    currency=category.currency, color=category.color)
            sectors.append(MatchSector(
                match=match, sector_id=item.sector_id, name=item.name, code=item.code,
                total_capacity=item.total_capacity, technical_seats=item.technical_seats,
                sellable_capacity=item.sellable_capacity,
                price_category=categories[category.name] if category else None,
                status=item.status, purpose=item.purpose,
                is_numbered=match.is_numbered and item.is_numbered and item.n_seats > 0,
                has_seat_map=item.has_seat_map, display_order=item.display_order))
        return _replace_finish(match, sectors, venue=source.venue,
                               source={"import_from_match_id": source.pk}, old=old,
                               actor=actor, request=request)


def match_stadium_create_new(*, match_id: int, name: str, city: str, sectors: list[dict],
                             actor, country: str = "HR", address: str = "",
                             is_numbered: bool = False, request=None) -> list[MatchSector]:
    """An away stadium typed in inline: a new AWAY stadium with the given sectors, sold by
    capacity (it has no seat maps), becomes the match's venue."""
    codes = [s["code"] for s in sectors]
    if len(set(codes)) != len(codes):
        raise DomainError("Sector codes must be unique.", code="duplicate_sector_code",
                          field="sectors")
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        old = _replace_begin(match)
        stadium = Stadium.objects.create(
            name=name, city=city, country=country, address=address,
            stadium_type=StadiumType.AWAY, is_numbered=is_numbered,
            base_capacity=sum(s["capacity"] for s in sectors))
        Sector.objects.bulk_create([
            Sector(stadium=stadium, name=s["name"], code=s["code"], capacity=s["capacity"],
                   display_order=index) for index, s in enumerate(sectors)])
        audit_record(actor=actor, action="stadium.created", obj=stadium,
                     after={**snapshot(stadium, "name", "city", "country", "stadium_type",
                                       "base_capacity"), "match": match.pk},
                     request=request)
        match_sectors = list(_template_sectors(match, stadium))
        return _replace_finish(match, match_sectors, venue=stadium,
                               source={"created_stadium_id": stadium.pk}, old=old,
                               actor=actor, request=request)


# --- Validate, lock, unlock -------------------------------------------------------------------

@dataclass
class ValidationResult:
    valid: bool
    errors: list[dict]
    stadium_config_status: str


def match_stadium_problems(*, match: Match) -> list[dict]:
    """Everything that keeps the configuration from being locked, one dict per problem."""
    sectors = list(match.sectors.all())
    problems = []
    if not sectors:
        problems.append({"code": "no_sectors", "sector_id": None,
                         "detail": "The match has no sectors."})
    for s in sectors:
        if s.status == MatchSectorStatus.ACTIVE and s.price_category_id is None:
            problems.append({"code": "missing_price", "sector_id": s.pk,
                             "detail": f"Active sector {s.code} has no price category."})
        if s.sellable_capacity > s.total_capacity:
            problems.append({"code": "sellable_exceeds_total", "sector_id": s.pk,
                             "detail": f"Sector {s.code} sells {s.sellable_capacity} places "
                                       f"but holds only {s.total_capacity}."})
        if s.technical_seats > s.total_capacity:
            problems.append({"code": "technical_exceeds_total", "sector_id": s.pk,
                             "detail": f"Sector {s.code} has {s.technical_seats} technical "
                                       f"seats but holds only {s.total_capacity}."})
    return problems


def match_stadium_validate(*, match_id: int, actor, request=None) -> ValidationResult:
    """Check the configuration; when it passes, record VALIDATED and LOCK it."""
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        problems = match_stadium_problems(match=match)
        if problems or match.stadium_config_status == ConfigStatus.LOCKED:
            return ValidationResult(not problems, problems, match.stadium_config_status)
        before = match.stadium_config_status
        audit_record(actor=actor, action="match.stadium_validated", obj=match,
                     before={"stadium_config_status": before},
                     after={"stadium_config_status": ConfigStatus.VALIDATED}, request=request)
        match.stadium_config_status = ConfigStatus.LOCKED
        match.save(update_fields=["stadium_config_status", "updated_at"])
        audit_record(actor=actor, action="match.stadium_locked", obj=match,
                     before={"stadium_config_status": ConfigStatus.VALIDATED},
                     after={"stadium_config_status": ConfigStatus.LOCKED}, request=request)
    return ValidationResult(True, [], match.stadium_config_status)


def match_stadium_unlock(*, match_id: int, actor, request=None) -> Match:
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        if match.stadium_config_status != ConfigStatus.LOCKED:
            raise Conflict("The stadium configuration is not locked.", code="config_not_locked")
        if match_sales_started(match=match):
            raise Conflict("Sales for this match have started; its stadium configuration "
                           "stays locked.", code="sales_started")
        match.stadium_config_status = ConfigStatus.DRAFT
        match.save(update_fields=["stadium_config_status", "updated_at"])
        audit_record(actor=actor, action="match.stadium_unlocked", obj=match,
                     before={"stadium_config_status": ConfigStatus.LOCKED},
                     after={"stadium_config_status": ConfigStatus.DRAFT}, request=request)
    return match


# --- Price categories -------------------------------------------------------------------------

def price_category_get(*, match: Match, category_id: int) -> PriceCategory:
    category = match.price_categories.filter(pk=category_id).first()
    if category is None:
        raise NotFound(f"Match {match.pk} has no price category {category_id}.",
                       code="price_category_not_found")
    return category


def _check_name_free(match: Match, name: str, exclude: int | None = None) -> None:
    if match.price_categories.filter(name=name).exclude(pk=exclude).exists():
        raise Conflict(f'This match already has a price category "{name}".',
                       code="price_category_exists", field="name")


def price_category_create(*, match_id: int, name: str, price: Decimal, actor,
                          currency: str = "EUR", color: str = "#1f77b4",
                          request=None) -> PriceCategory:
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        _check_unlocked(match)
        _check_name_free(match, name)
        category = PriceCategory.objects.create(match=match, name=name, price=price,
                                                currency=currency, color=color)
        audit_record(actor=actor, action="price_category.created", obj=category,
                     after=snapshot(category, "match", *CATEGORY_FIELDS), request=request)
    return category


def price_category_update(*, match_id: int, category_id: int, actor, data: dict,
                          request=None) -> PriceCategory:
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        category = price_category_get(match=match, category_id=category_id)
        changed = changed_fields(category, data, CATEGORY_FIELDS)
        if not changed:
            return category
        _check_unlocked(match)
        if "name" in changed:
            _check_name_free(match, data["name"], exclude=category.pk)
        match_item_save(category, data, changed, match_id=match.pk,
                        action="price_category.updated", actor=actor, request=request)
    return category


def price_category_delete(*, match_id: int, category_id: int, actor, request=None) -> None:
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        category = price_category_get(match=match, category_id=category_id)
        _check_unlocked(match)
        used_by = list(category.sectors.order_by("code").values_list("code", flat=True))
        if used_by:
            raise Conflict(f"The price category is used by {', '.join(used_by)}; move those "
                           "sectors to another category first.", code="price_category_in_use")
        before = snapshot(category, "match", *CATEGORY_FIELDS)
        category.delete()
        audit_record(actor=actor, action="price_category.deleted",
                     object_type="seating.pricecategory", object_id=category_id, before=before,
                     request=request)


# --- Match sectors ----------------------------------------------------------------------------

def match_sector_get(*, match: Match, match_sector_id: int) -> MatchSector:
    sector = match.sectors.filter(pk=match_sector_id).first()
    if sector is None:
        raise NotFound(f"Match {match.pk} has no sector {match_sector_id}.",
                       code="match_sector_not_found")
    return sector


def _resolve_category(match: Match, data: dict) -> None:
    """Turn `price_category_id` in `data` into `price_category` (None clears it)."""
    if "price_category_id" not in data:
        return
    category_id = data.pop("price_category_id")
    category = None
    if category_id is not None:
        category = match.price_categories.filter(pk=category_id).first()
        if category is None:
            raise DomainError(f"Match {match.pk} has no price category {category_id}.",
                              code="unknown_price_category", field="price_category_id")
    data["price_category"] = category


def match_sector_create(*, match_id: int, actor, sector_id: int | None = None,
                        name: str = "", code: str = "", total_capacity: int | None = None,
                        technical_seats: int = 0, sellable_capacity: int | None = None,
                        price_category_id: int | None = None,
                        status: str = MatchSectorStatus.ACTIVE,
                        purpose: str = SectorPurpose.GENERAL, request=None) -> MatchSector:
    """Add one sector: from a sector of the match's venue (copied like a template, with its
    inventory; its capacities come from the template), or a capacity-only sector described
    here."""
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        _check_unlocked(match)
        if sector_id is not None:
            template = Sector.objects.filter(pk=sector_id).first()
            if template is None or template.stadium_id != match.venue_id:
                raise DomainError(f"Sector {sector_id} is not part of this match's venue.",
                                  code="sector_not_in_venue", field="sector_id")
            sector = next(_template_sectors(match, template.stadium, only=[template.pk]))
            sector.name, sector.code = name or sector.name, code or sector.code
        else:
            if not (name and code and total_capacity):
                raise DomainError("A sector without a template sector needs a name, a code "
                                  "and a total capacity.", code="sector_incomplete",
                                  field="sector_id")
            sector = MatchSector(match=match, name=name, code=code,
                                 total_capacity=total_capacity, technical_seats=technical_seats,
                                 sellable_capacity=max(total_capacity - technical_seats, 0),
                                 is_numbered=False, has_seat_map=False)
        if sellable_capacity is not None:
            sector.sellable_capacity = sellable_capacity
        data = {"price_category_id": price_category_id}
        _resolve_category(match, data)
        sector.price_category, sector.status, sector.purpose = (
            data["price_category"], status, purpose)
        _check_capacity(sector)
        if match.sectors.filter(code=sector.code).exists():
            raise Conflict(f"This match already has a sector {sector.code}.",
                           code="sector_code_exists", field="code")
        sector.display_order = (match.sectors.aggregate(n=Max("display_order"))["n"] or 0) + 1
        sector.save()
        inventory_build(match_sector=sector)
        audit_record(actor=actor, action="match_sector.created", obj=sector,
                     after=snapshot(sector, *AUDITED_SECTOR), request=request)
    return sector


def _check_capacity(sector: MatchSector) -> None:
    if sector.technical_seats > sector.total_capacity:
        raise DomainError(f"Sector {sector.code} cannot have more technical seats than places.",
                          code="capacity_exceeded", field="technical_seats")
    if sector.sellable_capacity > sector.total_capacity - sector.technical_seats:
        raise DomainError(
            f"Sector {sector.code} can sell at most "
            f"{sector.total_capacity - sector.technical_seats} places.",
            code="capacity_exceeded", field="sellable_capacity")


def _sector_apply(sector: MatchSector, data: dict, *, actor, request) -> None:
    changed = changed_fields(sector, data, SECTOR_FIELDS)
    if changed:
        match_item_save(sector, data, changed, match_id=sector.match_id,
                        action="match_sector.updated", actor=actor, request=request,
                        check=_check_capacity)


def match_sector_update(*, match_id: int, match_sector_id: int, actor, data: dict,
                        request=None) -> MatchSector:
    """Change status, purpose, price category or sellable capacity; refused once tickets have
    been sold in the sector."""
    data = dict(data)
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        sector = match_sector_get(match=match, match_sector_id=match_sector_id)
        _check_unlocked(match)
        _check_nothing_sold(match, [sector.pk])
        _resolve_category(match, data)
        _sector_apply(sector, data, actor=actor, request=request)
    return sector


def match_sectors_bulk_update(*, match_id: int, ids: list[int], actor, data: dict,
                              request=None) -> list[MatchSector]:
    """The same change to several sectors, all or nothing."""
    data = dict(data)
    with transaction.atomic():
        match = match_get(match_id=match_id, lock=True)
        sectors = list(match.sectors.filter(pk__in=ids))
        missing = sorted(set(ids) - {s.pk for s in sectors})
        if missing:
            raise NotFound(f"Match {match.pk} has no sectors {missing}.",
                           code="match_sector_not_found", field="ids")
        _check_unlocked(match)
        _check_nothing_sold(match, ids)
        _resolve_category(match, data)
        for sector in sectors:
            _sector_apply(sector, data, actor=actor, request=request)
    return sectors
