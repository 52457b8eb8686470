"""OIB and passport numbers are encrypted at rest (E1-F4), looked up by a keyed hash, and the
encryption key rotates with `manage.py rotate_field_keys`."""

from datetime import date
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection

from core.pii import keyed_hash
from ticketing.models import Profile, SavedProfile
from ticketing.services.profiles import profile_create, saved_profile_create

OIB = "69435151530"
SAVED_OIB = "12345678903"
PASSPORT = "C01X00T47"
SAVED_PASSPORT = "P7654321"


def identity(**fields) -> dict:
    return {"first_name": "Ivana", "last_name": "Horvat", "date_of_birth": date(1990, 4, 12),
            "nationality": "HR", "oib": OIB, "passport_number": PASSPORT} | fields


def raw_row(table: str, pk: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


@pytest.fixture
def profile(make_user):
    return profile_create(user=make_user(), data=identity())


@pytest.fixture
def saved(make_user):
    return saved_profile_create(user=make_user(), data=identity(
        first_name="Luka", oib=SAVED_OIB, passport_number=SAVED_PASSPORT))


@pytest.fixture
def new_key():
    return Fernet.generate_key().decode()


@pytest.fixture
def old_key(settings, make_user):
    """A key that was the only one when a profile and a saved profile were written."""
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    profile_create(user=make_user(), data=identity())
    saved_profile_create(user=make_user(), data=identity(
        first_name="Luka", oib=SAVED_OIB, passport_number=SAVED_PASSPORT))
    return key


def test_the_profile_table_holds_no_plaintext_oib_or_passport(profile):
    row = raw_row("ticketing_profile", profile.pk)

    for value in row.values():
        assert OIB not in str(value)
        assert PASSPORT not in str(value)
    assert row["oib"].startswith("gAAAAA")  # a Fernet token
    assert row["passport_number"].startswith("gAAAAA")


def test_the_saved_profile_table_holds_no_plaintext_oib_or_passport(saved):
    row = raw_row("ticketing_savedprofile", saved.pk)

    for value in row.values():
        assert SAVED_OIB not in str(value)
        assert SAVED_PASSPORT not in str(value)


def test_the_orm_hands_back_the_plaintext(profile, saved):
    assert Profile.objects.values_list("oib", "passport_number").get() == (OIB, PASSPORT)
    reread = SavedProfile.objects.get(pk=saved.pk)
    assert (reread.oib, reread.passport_number) == (SAVED_OIB, SAVED_PASSPORT)


def test_the_same_oib_encrypts_differently_each_time(profile, make_user):
    other = saved_profile_create(user=make_user(), data=identity())

    assert raw_row("ticketing_profile", profile.pk)["oib"] != raw_row(
        "ticketing_savedprofile", other.pk)["oib"]


def test_the_lookup_hash_is_the_keyed_hash_not_the_oib(profile, saved):
    row = raw_row("ticketing_profile", profile.pk)

    assert row["oib_hash"] == keyed_hash(OIB)
    assert row["oib_hash"] != OIB
    assert row["passport_hash"] == keyed_hash(PASSPORT)
    assert raw_row("ticketing_savedprofile", saved.pk)["oib_hash"] == keyed_hash(SAVED_OIB)


def test_the_lookup_hash_depends_on_the_hash_key(settings):
    before = keyed_hash(OIB)
    settings.FIELD_HASH_KEY = "another-hash-key"

    assert keyed_hash(OIB) != before
    assert keyed_hash("") == ""


# --- Key rotation ---------------------------------------------------------------------------

def test_rows_under_the_old_key_still_decrypt_once_a_new_key_is_prepended(old_key, new_key,
                                                                          settings):
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    assert Profile.objects.get().oib == OIB


def test_after_rotation_the_new_key_alone_decrypts_everything(old_key, new_key, settings):
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()

    call_command("rotate_field_keys", "--batch-size", "1", stdout=out)

    assert "Rotated 4 encrypted values." in out.getvalue()  # 2 OIBs + 2 passports
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert Profile.objects.values_list("oib", "passport_number").get() == (OIB, PASSPORT)
    reread = SavedProfile.objects.get()
    assert (reread.oib, reread.passport_number) == (SAVED_OIB, SAVED_PASSPORT)
    token = raw_row("ticketing_profile", Profile.objects.get().pk)["oib"].encode()
    assert Fernet(new_key).decrypt(token) == OIB.encode()
    with pytest.raises(InvalidToken):
        Fernet(old_key).decrypt(token)


def test_rotation_leaves_empty_values_empty(new_key, make_user, settings):
    foreigner = profile_create(user=make_user(), data=identity(nationality="DE", oib=""))
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    out = StringIO()

    call_command("rotate_field_keys", stdout=out)

    assert "Rotated 1 encrypted values." in out.getvalue()
    assert raw_row("ticketing_profile", foreigner.pk)["oib"] == ""
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert Profile.objects.get().passport_number == PASSPORT


def test_rotation_stops_with_a_clear_error_on_a_value_no_key_fits(old_key, new_key, settings):
    settings.FIELD_ENCRYPTION_KEYS = [new_key]

    with pytest.raises(CommandError, match="does not decrypt with any of FIELD_ENCRYPTION_KEYS"):
        call_command("rotate_field_keys", stdout=StringIO())

    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    assert Profile.objects.get().oib == OIB  # untouched, still under the old key


def test_reading_with_an_unknown_key_raises_a_clear_error(profile, settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(ValueError, match="none of FIELD_ENCRYPTION_KEYS fits"):
        Profile.objects.get()
