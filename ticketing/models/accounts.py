import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q

from core.pii import EncryptedTextField, mask

CROATIA = "HR"


class UserStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    SUSPENDED = "SUSPENDED"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Fans sign in through the federation's webshop (SSO) and have no local password;
    back-office staff sign in to Django Admin with one."""

    email = models.EmailField(unique=True)
    drupal_user_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=UserStatus.choices, default=UserStatus.ACTIVE, db_index=True
    )
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE


class ApiSession(models.Model):
    """One signed-in device. Only the hash of its current refresh token is stored; the token
    carries the session id, so presenting an older (rotated) token is recognised as reuse."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_sessions")
    refresh_token_hash = models.CharField(max_length=64, unique=True)
    device_id = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        db_table = "auth_api_sessions"

    def __str__(self):
        return f"{self.user} on {self.device_id or 'unknown device'}"


class IdentityDocument(models.Model):
    """Name, birth date, nationality and identity document shared by a fan's default profile
    and the saved profiles of people they buy for. OIB for Croatians, passport otherwise."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    nationality = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, HR = Croatian")
    oib = EncryptedTextField(blank=True, default="")
    oib_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    passport_number = EncryptedTextField(blank=True, default="")
    passport_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def oib_masked(self) -> str:
        return mask(self.oib)

    @property
    def passport_masked(self) -> str:
        return mask(self.passport_number)


class Profile(IdentityDocument):
    """The buyer's own (default) ticketing profile; the first ticket holder of every order."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)

    REQUIRED_FOR_COMPLETE = (
        "first_name", "last_name", "date_of_birth", "nationality", "phone", "address", "city",
        "postal_code",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["oib_hash"], condition=~Q(oib_hash=""), name="profile_oib_unique"
            )
        ]

    def __str__(self):
        return f"Profile of {self.user}"

    @property
    def is_complete(self) -> bool:
        document = self.oib if self.nationality == CROATIA else self.passport_number
        return bool(document) and all(getattr(self, f) for f in self.REQUIRED_FOR_COMPLETE)


class SavedProfile(IdentityDocument):
    """Someone a fan often buys for (family, friends): at most MAX_SAVED_PROFILES each."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_profiles")
    relationship = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "oib_hash"], condition=~Q(oib_hash=""),
                name="saved_profile_oib_unique_per_user",
            )
        ]

    def __str__(self):
        return f"{self.full_name} (saved by {self.user})"

