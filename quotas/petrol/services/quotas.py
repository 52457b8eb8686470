"""The match's Petrol quota (E12-F4): a quota like any other (made by `quota_create`, cancelled
by `quota_cancel`) with its flags forced: type PETROL, deferred payment (the partner owes what
its stations take), no subquotas, no transfers, no invitation. At most one per match is live
(a partial unique index); its station QR code opens `hns://petrol-sales/<quota id>` in the
app."""

import io

import qrcode
import qrcode.image.svg
from django.db import IntegrityError, transaction

from core.audit import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from quotas.models import ClaimStatus, Quota, QuotaStatus, QuotaType
from quotas.petrol.models import LIVE_RESERVATION, PetrolPin, PetrolReservation, PinStatus
from quotas.petrol.models import ReservationStatus as Resv
from quotas.services.cancellation import Cancelled, quota_cancel
from quotas.services.creation import QuotaRequest, quota_create
from seating.models import ConfigStatus, Match

DEEPLINK = "hns://petrol-sales/{quota_id}"
QR_MIN_PIXELS = 600


def deeplink(quota: Quota) -> str:
    return DEEPLINK.format(quota_id=quota.pk)


def petrol_quota_create(*, actor, match_id: int, quantity: int, recipient_email: str,
                        recipient_name: str = "", sector_ids: list[int] | None = None,
                        internal_note: str = "", request=None) -> Quota:
    """201 with the quota; 422 for a match that does not exist or whose stadium is not
    configured; 409 when the match has a live Petrol quota (also when two are made at once)."""
    match = Match.objects.filter(pk=match_id, is_deleted=False).first()
    if match is None:
        raise ValidationFailed(f"No match {match_id}.", code="match_not_found", field="match_id")
    if match.stadium_config_status == ConfigStatus.DRAFT:
        raise ValidationFailed("Configure and validate the match's stadium first: the Petrol "
                               "quota takes its seats from it.", code="stadium_not_configured",
                               field="match_id")
    if petrol_quota_live(match_id) is not None:
        raise _one_per_match()
    try:
        with transaction.atomic():
            created = quota_create(actor=actor, http_request=request, request=QuotaRequest(
                recipient_email=recipient_email, recipient_name=recipient_name,
                quantity=quantity, match_id=match_id, sector_ids=sector_ids or [],
                internal_note=internal_note, deferred_payment=True, can_create_subquotas=False,
                transfer_allowed=False, auto_send_email=False, quota_type=QuotaType.PETROL))
    except IntegrityError:  # the partial unique index: another was made at the same moment
        raise _one_per_match() from None
    return created.quota


def _one_per_match() -> Conflict:
    return Conflict("This match already has a Petrol quota; cancel it before making another.",
                    code="petrol_quota_exists", field="match_id")


def petrol_quota_live(match_id: int) -> Quota | None:
    return (Quota.objects.filter(match_id=match_id, quota_type=QuotaType.PETROL,
                                 parent__isnull=True).exclude(status=QuotaStatus.CANCELLED)
            .first())


def petrol_quota(quota_id: int) -> Quota:
    quota = (Quota.objects.select_related("match", "created_by")
             .filter(pk=quota_id, quota_type=QuotaType.PETROL).first())
    if quota is None:
        raise NotFound("No such Petrol quota.", code="petrol_quota_not_found")
    return quota


def petrol_quota_cancel(*, actor, quota_id: int, option: str, request=None) -> Cancelled:
    """The quota cancellation service, then its live PINs and reservations cancelled with it
    (their fans cannot buy at a station any more)."""
    petrol_quota(quota_id)
    with transaction.atomic():
        done = quota_cancel(actor=actor, quota_id=quota_id, option=option, request=request)
        PetrolReservation.objects.filter(pin__quota_id=quota_id,
                                         status__in=LIVE_RESERVATION,
                                         claim__status=ClaimStatus.ABANDONED).update(
            status=Resv.CANCELLED, cancelled_by=actor, cancellation_reason="quota cancelled")
        pins = PetrolPin.objects.filter(quota_id=quota_id, status=PinStatus.ACTIVE).exclude(
            reservations__status__in=LIVE_RESERVATION).update(status=PinStatus.CANCELLED)
        audit_record(actor=actor, action="petrol_quota.cancelled", obj=done.quota,
                     request=request, after={"match_id": done.quota.match_id,
                                             "option": done.option, "pins_cancelled": pins})
    return done


def station_qr_png(quota: Quota) -> bytes:
    """The station QR code as a PNG of at least 600 x 600 pixels."""
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(deeplink(quota))
    code.make(fit=True)
    modules = code.modules_count + 2 * code.border
    code.box_size = -(-QR_MIN_PIXELS // modules)  # ceiling: never under 600 pixels
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def station_qr_svg(quota: Quota) -> bytes:
    image = qrcode.make(deeplink(quota), image_factory=qrcode.image.svg.SvgImage, border=4,
                        box_size=20)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
