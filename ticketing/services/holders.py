"""Ticket holders (E4-F5): who each ticket is for, from the buyer's default profile, a saved
profile or manual entry, validated with the profile rules (OIB, nationality, age).

Checkout: the first holder is always the buyer's default profile (it may be repeated but not
changed). A quota claim has no such rule (a sponsor claims for guests): each holder is
`{"use_my_profile": true}`, a saved profile or manual entry. Either way a minor's email is
forced to the buyer's."""

from datetime import date

from django.conf import settings
from django.utils import timezone

from core.errors import ValidationFailed
from core.sql import marks
from ticketing.models import CROATIA, HolderSource, Profile, SavedProfile
from ticketing.services.profiles import age_on, identity_check

HOLDER_IDENTITY = ("first_name", "last_name", "date_of_birth", "nationality", "oib",
                   "passport_number", "email")
MANUAL_REQUIRED = ("first_name", "last_name", "date_of_birth", "nationality")


def _from_profile(profile: Profile) -> dict:
    return {name: getattr(profile, name) for name in HOLDER_IDENTITY} | {
        "holder_source": HolderSource.DEFAULT_PROFILE, "saved_profile": None}


def _default_holder(profile: Profile, given: dict) -> dict:
    """The first holder is the buyer's own profile; the request may repeat it but not change it."""
    if given.get("saved_profile_id"):
        raise ValidationFailed("The first ticket holder is always you (your default profile).",
                               code="first_holder_locked", field="holders[0]")
    for name in HOLDER_IDENTITY:
        value = given.get(name)
        if value not in (None, "") and str(value).strip().upper() != \
                str(getattr(profile, name) or "").strip().upper():
            raise ValidationFailed(
                "The first ticket holder is always you; change your details in your profile.",
                code="first_holder_locked", field=f"holders[0].{name}")
    return _from_profile(profile)


def saved_profiles_of(*, user, given: list[dict]) -> dict[int, SavedProfile]:
    """The user's saved profiles that the holders name, in one read."""
    ids = sorted({g["saved_profile_id"] for g in given if g.get("saved_profile_id")})
    if not ids:
        return {}
    # Plain SQL (typed by `raw`): every checkout for friends runs it.
    return {s.pk: s for s in SavedProfile.objects.raw(
        "SELECT * FROM ticketing_savedprofile WHERE user_id = %s"
        f" AND id IN ({marks(ids)})", [user.pk, *ids])}


def holder_from_input(*, user, given: dict, index: int,
                      saved_profiles: dict[int, SavedProfile] | None = None) -> dict:
    """A holder from a saved profile (`saved_profile_id`) or manual entry, validated.
    `saved_profiles` (from `saved_profiles_of`) saves a read per holder."""
    if given.get("saved_profile_id"):
        if saved_profiles is None:
            saved_profiles = saved_profiles_of(user=user, given=[given])
        saved = saved_profiles.get(given["saved_profile_id"])
        if saved is None:
            raise ValidationFailed("No such saved profile.", code="saved_profile_not_found",
                                   field=f"holders[{index}].saved_profile_id")
        data = {name: getattr(saved, name) for name in HOLDER_IDENTITY}
        source = HolderSource.SAVED_PROFILE
    else:
        missing = [name for name in MANUAL_REQUIRED if not given.get(name)]
        if missing:
            raise ValidationFailed(
                f"Holder {index + 1} needs a saved profile or {', '.join(missing)}.",
                code="holder_incomplete", field=f"holders[{index}].{missing[0]}")
        data = {name: given.get(name) or "" for name in HOLDER_IDENTITY}
        data["date_of_birth"] = _birth_date(given["date_of_birth"], index)
        source = HolderSource.MANUAL_ENTRY
        saved = None
    try:
        identity_check(data)  # the same rules and messages as profiles (422)
    except ValidationFailed as exc:
        exc.fields = {f"holders[{index}].{k}": v for k, v in exc.fields.items()}
        raise
    if data["nationality"] != CROATIA:
        data["oib"] = data.get("oib") or ""
    return data | {"holder_source": source, "saved_profile": saved}


def _birth_date(value, index: int) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("Give the date of birth as YYYY-MM-DD.", code="invalid_date",
                               field=f"holders[{index}].date_of_birth") from None


def _count_check(given: list[dict], count: int) -> None:
    if len(given) != count:
        raise ValidationFailed(f"Give exactly one ticket holder per ticket ({count}).",
                               code="holder_count", field="holders")


def _minors(user, holders: list[dict]) -> list[dict]:
    today = timezone.localdate()
    for holder in holders:
        born: date = holder["date_of_birth"]
        holder["is_minor"] = age_on(born, today) < settings.DEFAULT_PROFILE_MIN_AGE
        if holder["is_minor"]:  # E4-F5: a minor's tickets go to the buyer
            holder["email"] = user.email
    return holders


def holders_resolve(*, user, profile: Profile | None, given: list[dict], count: int) -> list[dict]:
    """Checkout: one holder per ticket, the first being the buyer's complete default profile."""
    _count_check(given, count)
    if profile is None or not profile.is_complete:
        raise ValidationFailed("Complete your ticketing profile before checking out: you are "
                               "the first ticket holder.", code="profile_incomplete")
    holders = [_default_holder(profile, given[0])]
    saved = saved_profiles_of(user=user, given=given[1:])
    holders += [holder_from_input(user=user, given=g, index=i, saved_profiles=saved)
                for i, g in enumerate(given[1:], start=1)]
    return _minors(user, holders)


def claim_holders_resolve(*, user, given: list[dict], count: int) -> list[dict]:
    """A quota claim: one holder per ticket, each the claimer's own profile (`use_my_profile`),
    a saved profile or manual entry."""
    _count_check(given, count)
    saved = saved_profiles_of(user=user, given=given)
    profile = None
    holders = []
    for index, entry in enumerate(given):
        if entry.get("use_my_profile"):
            if profile is None:  # read once, however many holders use it
                profile = Profile.objects.filter(user=user).first()
            if profile is None or not profile.is_complete:
                raise ValidationFailed("Your ticketing profile is incomplete; enter this "
                                       "holder's details instead.", code="profile_incomplete",
                                       field=f"holders[{index}].use_my_profile")
            holders.append(_from_profile(profile))
        else:
            holders.append(holder_from_input(user=user, given=entry, index=index,
                                             saved_profiles=saved))
    return _minors(user, holders)
