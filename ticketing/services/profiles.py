"""Default ticketing profile (E1-F3) and saved profiles (E1-F4).

Rules, in the order they are checked: OIB checksum (422), identity document for the nationality
(422: OIB for Croatians, passport otherwise), age 18+ for the default profile (422), an OIB
once set is immutable (400), OIB unique across users / within a user's saved profiles (409)."""

from datetime import date

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accessctl.models import ViolationAction
from accessctl.services.check import blacklist_check, blacklist_listed
from core.audit import audit_record, snapshot
from core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from core.locks import lock_first
from core.oib import oib_validate
from core.pii import keyed_hash
from ticketing.models import CROATIA, Profile, SavedProfile, User

IDENTITY_FIELDS = ("first_name", "last_name", "date_of_birth", "nationality", "oib",
                   "passport_number", "email", "phone")
PROFILE_FIELDS = (*IDENTITY_FIELDS, "address", "city", "postal_code")
SAVED_PROFILE_FIELDS = (*IDENTITY_FIELDS, "relationship")
AUDITED = ("first_name", "last_name", "date_of_birth", "nationality", "oib", "email", "phone")


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def identity_check(data: dict) -> None:
    if data.get("oib"):
        data["oib"] = oib_validate(data["oib"])
    nationality = (data.get("nationality") or "").upper()
    data["nationality"] = nationality
    if nationality == CROATIA and not data.get("oib"):
        raise ValidationFailed("Croatian citizens must give their OIB.", code="oib_required",
                               field="oib")
    if nationality != CROATIA and not data.get("passport_number"):
        raise ValidationFailed("Non-Croatian citizens must give a passport number.",
                               code="passport_required", field="passport_number")


def _apply(instance, data: dict, fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in data:
            setattr(instance, name, data[name] if data[name] is not None else "")
    instance.oib_hash = keyed_hash(instance.oib)
    instance.passport_hash = keyed_hash(instance.passport_number)


def _save_audited(profile: Profile | SavedProfile, *, user: User, action: str,
                  before: dict | None, request, taken: Conflict) -> None:
    """Save the profile and audit it in one transaction; the database's unique OIB index, the
    last word on a concurrent save, answers with `taken`."""
    try:
        with transaction.atomic():
            profile.save()
            audit_record(actor=user, action=action, obj=profile, before=before,
                         after=snapshot(profile, *AUDITED), request=request)
    except IntegrityError:
        raise taken from None


# --- Default profile ------------------------------------------------------------------------

def profile_get(*, user: User) -> Profile:
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        raise NotFound("You have no ticketing profile yet; create it with POST.",
                       code="profile_not_found")
    return profile


def _check_adult(data: dict) -> None:
    born = data.get("date_of_birth")
    if born and age_on(born, timezone.localdate()) < settings.DEFAULT_PROFILE_MIN_AGE:
        raise ValidationFailed(
            f"The account holder must be at least {settings.DEFAULT_PROFILE_MIN_AGE} years old; "
            "add minors as saved profiles instead.", code="too_young", field="date_of_birth")


def _check_oib_free(*, oib_hash: str, user: User) -> None:
    if oib_hash and Profile.objects.filter(oib_hash=oib_hash).exclude(user=user).exists():
        raise Conflict("This OIB is already used by another account.", code="oib_taken",
                       field="oib")


def profile_create(*, user: User, data: dict, request=None) -> Profile:
    identity_check(data)
    _check_adult(data)
    if Profile.objects.filter(user=user).exists():
        raise Conflict("You already have a profile; update it with PUT.", code="profile_exists")
    profile = Profile(user=user)
    _apply(profile, data, PROFILE_FIELDS)
    _check_oib_free(oib_hash=profile.oib_hash, user=user)
    _save_audited(profile, user=user, action="profile.created", before=None, request=request,
                  taken=Conflict("This OIB is already used by another account (or your profile "
                                 "was just created).", code="oib_taken", field="oib"))
    return profile


def profile_update(*, user: User, data: dict, request=None) -> Profile:
    profile = profile_get(user=user)
    if data.get("oib"):
        data["oib"] = oib_validate(data["oib"])
    if profile.oib and "oib" in data and data["oib"] != profile.oib:  # clearing is changing
        raise DomainError("An OIB cannot be changed once set; contact support if it is wrong.",
                          code="oib_immutable", field="oib")
    merged = {name: getattr(profile, name) for name in PROFILE_FIELDS} | data
    identity_check(merged)
    _check_adult(merged)
    before = snapshot(profile, *AUDITED)
    _apply(profile, merged, PROFILE_FIELDS)
    _check_oib_free(oib_hash=profile.oib_hash, user=user)
    _save_audited(profile, user=user, action="profile.updated", before=before, request=request,
                  taken=Conflict("This OIB is already used by another account.",
                                 code="oib_taken", field="oib"))
    return profile


# --- Saved profiles -------------------------------------------------------------------------

def saved_profile_get(*, user: User, profile_id: int) -> SavedProfile:
    profile = SavedProfile.objects.filter(user=user, pk=profile_id).first()
    if profile is None:
        raise NotFound("No such saved profile.", code="saved_profile_not_found")
    return profile


def _check_no_duplicate(*, user: User, oib_hash: str, exclude_id: int | None = None) -> None:
    clash = SavedProfile.objects.filter(user=user, oib_hash=oib_hash).exclude(pk=exclude_id)
    if oib_hash and clash.exists():
        raise Conflict("You already have a saved profile with this OIB.", code="oib_duplicate",
                       field="oib")


def saved_profile_create(*, user: User, data: dict, request=None) -> SavedProfile:
    identity_check(data)
    profile = SavedProfile(user=user)
    _apply(profile, data, SAVED_PROFILE_FIELDS)
    with transaction.atomic():
        lock_first(User.objects.filter(pk=user.pk))  # serialise the limit check
        if SavedProfile.objects.filter(user=user).count() >= settings.MAX_SAVED_PROFILES:
            raise DomainError(
                f"You can keep at most {settings.MAX_SAVED_PROFILES} saved profiles; delete one "
                "to add another.", code="saved_profile_limit")
        _check_no_duplicate(user=user, oib_hash=profile.oib_hash)
        profile.save()
        audit_record(actor=user, action="saved_profile.created", obj=profile,
                     after=snapshot(profile, *AUDITED), request=request)
    return profile


def saved_profile_update(*, user: User, profile_id: int, data: dict,
                         request=None) -> SavedProfile:
    profile = saved_profile_get(user=user, profile_id=profile_id)
    merged = {name: getattr(profile, name) for name in SAVED_PROFILE_FIELDS} | data
    identity_check(merged)
    before = snapshot(profile, *AUDITED)
    _apply(profile, merged, SAVED_PROFILE_FIELDS)
    _check_no_duplicate(user=user, oib_hash=profile.oib_hash, exclude_id=profile.pk)
    _save_audited(profile, user=user, action="saved_profile.updated", before=before,
                  request=request,
                  taken=Conflict("You already have a saved profile with this OIB.",
                                 code="oib_duplicate", field="oib"))
    return profile


def saved_profile_delete(*, user: User, profile_id: int, request=None) -> None:
    profile = saved_profile_get(user=user, profile_id=profile_id)
    with transaction.atomic():
        audit_record(actor=user, action="saved_profile.deleted", obj=profile,
                     before=snapshot(profile, *AUDITED), request=request)
        profile.delete()


def fan_is_blacklisted(user) -> bool:
    """settings.QUEUE_IS_BLACKLISTED: is the fan's own OIB on the blacklist? A hit is logged as
    a refused attempt (QUEUE_JOIN_ATTEMPT). Like blacklist_check, call it outside any
    transaction. Every join asks, so the usual answer (not listed) reads only the profile's OIB
    hash; the profile is loaded, its OIB decrypted and the attempt logged only on a hit."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT oib_hash FROM ticketing_profile WHERE user_id = %s", [user.pk])
        row = cursor.fetchone()
    if row is None or not blacklist_listed(oib_hashes=[row[0]]):
        return False
    profile = Profile.objects.get(user=user)
    try:
        blacklist_check(oibs=[profile.oib], user=user,
                        action=ViolationAction.QUEUE_JOIN_ATTEMPT)
    except Forbidden:
        return True
    return False
