from rest_framework import serializers

from core.bounds import (
    EMAIL_MAX_LENGTH,
    FCM_TOKEN_MAX_LENGTH,
    REFRESH_TOKEN_MAX_LENGTH,
    SSO_TOKEN_MAX_LENGTH,
)
from core.drf import BoundedJSONField
from core.models import PushPlatform


class LoginIn(serializers.Serializer):
    drupal_token = serializers.CharField(max_length=SSO_TOKEN_MAX_LENGTH)
    device_id = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RefreshIn(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=REFRESH_TOKEN_MAX_LENGTH)


class UserOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    status = serializers.CharField()
    drupal_user_id = serializers.CharField()


class TokensOut(serializers.Serializer):
    token_type = serializers.CharField(default="Bearer")
    access_token = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    refresh_token = serializers.CharField()
    refresh_expires_at = serializers.DateTimeField()
    user = UserOut()


class IdentityIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField()
    nationality = serializers.RegexField(
        r"^[A-Za-z]{2}$", max_length=2,
        help_text="ISO 3166-1 alpha-2; HR means Croatian (OIB required), others need a passport.")
    oib = serializers.CharField(max_length=20, required=False, allow_blank=True)
    passport_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)


class ProfileIn(IdentityIn):
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)


class SavedProfileIn(IdentityIn):
    relationship = serializers.CharField(max_length=50, required=False, allow_blank=True)


class IdentityOut(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    full_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    nationality = serializers.CharField()
    oib_masked = serializers.CharField(help_text="Only the last 4 digits are shown.")
    passport_masked = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    updated_at = serializers.DateTimeField()


class ProfileOut(IdentityOut):
    address = serializers.CharField()
    city = serializers.CharField()
    postal_code = serializers.CharField()
    is_complete = serializers.BooleanField()


class SavedProfileOut(IdentityOut):
    relationship = serializers.CharField()


class PushTokenIn(serializers.Serializer):
    device_id = serializers.CharField(max_length=200)
    fcm_token = serializers.CharField(max_length=FCM_TOKEN_MAX_LENGTH)
    platform = serializers.ChoiceField(choices=PushPlatform.choices)


class PushTokenOut(serializers.Serializer):
    device_id = serializers.CharField()
    platform = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class HolderIn(serializers.Serializer):
    """A saved profile, or the holder's details typed in. The first holder is always the
    buyer's default profile: send `{}` (or the same details) for it."""

    saved_profile_id = serializers.IntegerField(min_value=1, required=False)
    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    date_of_birth = serializers.DateField(required=False)
    nationality = serializers.CharField(max_length=2, required=False)
    oib = serializers.CharField(max_length=20, required=False, allow_blank=True)
    passport_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH, required=False, allow_blank=True)
    options = serializers.DictField(
        child=BoundedJSONField(max_bytes=2000), required=False,
        help_text="A package ticket's answers: option id -> true/false, [choices] or text")
