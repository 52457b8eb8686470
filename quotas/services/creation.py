"""Creating quotas (E7-F1): validate, allocate seats through the seating allocation service
(NM = best seats, adjacent where possible; REDOM = in order) as ALLOCATED so the public sale
cannot take them, record the quota seats, and invite the recipient."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.audit import audit_record
from core.errors import NotFound, ValidationFailed
from quotas.models import ImportBatch, Quota, QuotaSeat, QuotaStatus, QuotaType
from quotas.services.common import recipient_account
from quotas.services.invitations import quota_invite
from seating.models import (
    Match,
    MatchSector,
    MatchSectorStatus,
    MatchStatus,
    SeatInventory,
    SeatStatus,
)
from seating.services.allocation import Algorithm, Hold, NotEnoughSeats, allocate, ga_available

OPEN_MATCH_STATUSES = (MatchStatus.DRAFT, MatchStatus.PUBLISHED, MatchStatus.ACTIVE)


@dataclass
class QuotaRequest:
    """What an admin (or a CSV row) asks for. `sector_ids` or `sector_codes` name the sectors;
    `discount_code` (GR = free) or `discount_percent` the discount."""

    recipient_email: str
    quantity: int
    match_id: int | None = None
    sector_ids: list[int] = field(default_factory=list)
    sector_codes: list[str] = field(default_factory=list)
    recipient_name: str = ""
    internal_note: str = ""
    discount_code: str = ""
    discount_percent: Decimal | None = None
    algorithm: str = Algorithm.NM
    expires_at: datetime | None = None
    can_create_subquotas: bool = False
    deferred_payment: bool = False
    transfer_allowed: bool = False
    auto_send_email: bool = True
    quota_type: str = QuotaType.STANDARD


@dataclass
class Created:
    quota: Quota
    together: bool
    warnings: list[str]
    duplicates: list[int]  # other live quotas for the same email and match


# --- validation -------------------------------------------------------------------------------

def email_clean(value: str, field_name: str = "recipient_email") -> str:
    email = (value or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(f"{email or 'An empty value'} is not a valid email address.",
                               code="invalid_email", field=field_name) from None
    return email.lower()


def discount_resolve(code: str, percent) -> tuple[str, Decimal]:
    """(code, percent) from a discount code (GR = 100 %) or a percentage."""
    code = (code or "").strip().upper()
    if code:
        codes = {k.upper(): v for k, v in settings.QUOTA_DISCOUNT_CODES.items()}
        if code not in codes:
            raise ValidationFailed(
                f"Unknown discount code {code}; use one of {', '.join(sorted(codes))} or a "
                "percentage.", code="unknown_discount_code", field="discount_code")
        return code, Decimal(codes[code])
    try:
        value = Decimal(str(percent if percent not in (None, "") else 0))
    except InvalidOperation:
        raise ValidationFailed("The discount must be a number from 0 to 100.",
                               code="invalid_discount", field="discount_percent") from None
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationFailed("The discount must be from 0 to 100 percent.",
                               code="invalid_discount", field="discount_percent")
    return ("GR" if value == 100 else ""), value.quantize(Decimal("0.01"))


def match_for_quota(match_id) -> Match:
    match = Match.objects.filter(pk=match_id, is_deleted=False).first()
    if match is None:
        raise NotFound(f"No match {match_id}.", code="match_not_found", field="match_id")
    if match.status not in OPEN_MATCH_STATUSES:
        raise ValidationFailed(f"The match is {match.status}; quotas need an open match.",
                               code="match_closed", field="match_id")
    return match


def sectors_for_quota(match: Match, request: QuotaRequest) -> list[MatchSector]:
    """The chosen sectors of the match, in the order given (all sectors when none given)."""
    sectors = MatchSector.objects.filter(match=match, status=MatchSectorStatus.ACTIVE)
    if request.sector_ids:
        found = {s.id: s for s in sectors.filter(id__in=request.sector_ids)}
        missing = [i for i in request.sector_ids if i not in found]
        chosen = [found[i] for i in request.sector_ids if i in found]
        name = "sector_ids"
    elif request.sector_codes:
        wanted = [c.strip().upper() for c in request.sector_codes if c.strip()]
        found = {s.code.upper(): s for s in sectors}
        missing = [c for c in wanted if c not in found]
        chosen = [found[c] for c in wanted if c in found]
        name = "sectors"
    else:
        return list(sectors.order_by("display_order", "id"))
    if missing:
        raise ValidationFailed(
            f"Unknown or closed sector(s) for this match: {', '.join(map(str, missing))}.",
            code="unknown_sector", field=name)
    return chosen


def available_in(sectors: list[MatchSector]) -> int:
    """Seats (or standing places) the sectors still have for a new quota."""
    numbered = [s.id for s in sectors if s.is_numbered]
    count = SeatInventory.objects.filter(match_sector_id__in=numbered,
                                         status=SeatStatus.AVAILABLE).count() if numbered else 0
    return count + sum(ga_available(s) for s in sectors if not s.is_numbered)


def duplicates_of(email: str, match_id: int, exclude: int | None = None) -> list[int]:
    live = Quota.objects.filter(parent__isnull=True, match_id=match_id,
                                recipient_email__iexact=email).exclude(
        status=QuotaStatus.CANCELLED)
    if exclude:
        live = live.exclude(pk=exclude)
    return list(live.values_list("pk", flat=True))


def request_check(request: QuotaRequest) -> tuple[Match, list[MatchSector]]:
    """Everything but availability (which depends on what else is taken at the time)."""
    request.recipient_email = email_clean(request.recipient_email)
    if not isinstance(request.quantity, int) or request.quantity < 1:
        raise ValidationFailed("The quantity must be a whole number of at least 1.",
                               code="invalid_quantity", field="quantity")
    if request.algorithm not in Algorithm.values:
        raise ValidationFailed("The algorithm must be NM (best seats) or REDOM (in order).",
                               code="invalid_algorithm", field="algorithm")
    request.discount_code, request.discount_percent = discount_resolve(
        request.discount_code, request.discount_percent)
    match = match_for_quota(request.match_id)
    return match, sectors_for_quota(match, request)


# --- creation ---------------------------------------------------------------------------------

def _allocate_into(quota: Quota, sectors: list[MatchSector], request: QuotaRequest,
                   actor) -> tuple[bool, list[str]]:
    """Allocate the quantity as ALLOCATED holds owned by the quota: in one sector when one has
    room (adjacent where the algorithm can), otherwise sector by sector in the given order."""
    hold = Hold(owner=quota.hold_owner, status=SeatStatus.ALLOCATED, user=actor,
                reason=f"quota {quota.pk}")
    try:
        parts = [allocate(match=quota.match, quantity=request.quantity, hold=hold,
                          sectors=sectors, algorithm=request.algorithm)]
    except NotEnoughSeats:
        parts, left = [], request.quantity
        for sector in sectors:
            room = min(left, available_in([sector]))
            if room:
                parts.append(allocate(match=quota.match, quantity=room, hold=hold,
                                      sectors=[sector], algorithm=request.algorithm))
                left -= room
        if left:
            raise NotEnoughSeats(
                f"Only {request.quantity - left} seat(s) are available in the chosen sectors; "
                f"{request.quantity} were asked for.", field="quantity") from None
    rows = []
    for part in parts:
        if part.general_admission_hold_id:
            rows += [QuotaSeat(quota=quota, match_sector_id=part.match_sector_id,
                               ga_hold_id=part.general_admission_hold_id)
                     for _ in range(part.quantity)]
        else:
            rows += [QuotaSeat(quota=quota, match_sector_id=part.match_sector_id,
                               inventory_id=i) for i in part.inventory_ids]
    QuotaSeat.objects.bulk_create(rows, batch_size=1000)
    return (len(parts) == 1 and parts[0].together,
            [p.warning for p in parts if p.warning])


def quota_create(*, actor, request: QuotaRequest, batch: ImportBatch | None = None,
                 checked: tuple[Match, list[MatchSector]] | None = None,
                 http_request=None) -> Created:
    """Create a quota and allocate its seats in one transaction; invite after commit."""
    match, sectors = checked or request_check(request)
    with transaction.atomic():
        quota = Quota.objects.create(
            match=match, recipient_email=request.recipient_email,
            recipient_user=recipient_account(request.recipient_email),
            recipient_name=request.recipient_name.strip(),
            internal_note=request.internal_note.strip(), quantity=request.quantity,
            discount_code=request.discount_code, discount_percent=request.discount_percent,
            algorithm=request.algorithm, expires_at=request.expires_at,
            can_create_subquotas=request.can_create_subquotas,
            deferred_payment=request.deferred_payment,
            transfer_allowed=request.transfer_allowed, auto_send_email=request.auto_send_email,
            quota_type=request.quota_type, status=QuotaStatus.ACTIVE, batch=batch,
            created_by=actor)
        quota.sectors.set(sectors)
        together, warnings = _allocate_into(quota, sectors, request, actor)
        duplicates = duplicates_of(quota.recipient_email, match.pk, exclude=quota.pk)
        audit_record(actor=actor, action="quota.created", obj=quota, request=http_request,
                     after={"match_id": match.pk, "quota_type": quota.quota_type,
                            "email": quota.recipient_email,
                            "quantity": quota.quantity, "algorithm": quota.algorithm,
                            "discount_percent": str(quota.discount_percent),
                            "sectors": [s.code for s in sectors], "batch_id": quota.batch_id,
                            "duplicates": duplicates})
        if quota.auto_send_email:
            quota_invite(quota=quota)
    return Created(quota=quota, together=together, warnings=warnings, duplicates=duplicates)

