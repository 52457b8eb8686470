"""Petrol-station sales (E12). A match has at most one live Petrol quota (a `quotas.Quota` of
type PETROL, deferred payment, no subquotas, no transfers). A fan makes a PIN in the app for
the tickets and holders they want; staff at a station look it up, which reserves the seats for
20 minutes as a quota claim made for the fan (`claim_reserve_for`); the fan pays cash or card
at the counter and the claim completes with the amount owed by the petrol partner."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.pii import EncryptedTextField
from core.status import StatusMachine
from quotas.models import Quota, QuotaClaim
from seating.models import Match
from ticketing.models import Order


class PetrolStation(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class PetrolStaffMember(models.Model):
    """Where a Petrol Staff account works: the station its failed PIN lookups count against."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="petrol_staff")
    station = models.ForeignKey(PetrolStation, on_delete=models.PROTECT, related_name="staff")

    def __str__(self):
        return f"{self.user} at {self.station}"


class PinStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    USED = "USED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


PIN_STATUS = StatusMachine("PIN", {
    PinStatus.ACTIVE: {PinStatus.USED, PinStatus.EXPIRED, PinStatus.CANCELLED},
})


class PetrolPin(models.Model):
    pin = models.CharField(max_length=5)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="petrol_pins")
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="+")
    quota = models.ForeignKey(Quota, on_delete=models.PROTECT, related_name="petrol_pins")
    quantity = models.PositiveSmallIntegerField()
    ticket_holders = EncryptedTextField(help_text="The holders as JSON (OIBs inside)")
    status = models.CharField(max_length=9, choices=PinStatus.choices, default=PinStatus.ACTIVE)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["pin"], condition=Q(status="ACTIVE"),
                                               name="petrol_pin_unique_among_active")]
        indexes = [models.Index(fields=["user", "match"], name="petrol_pin_user_match"),
                   models.Index(fields=["status", "expires_at"], name="petrol_pin_status")]

    def __str__(self):
        return f"PIN {self.pin} for {self.quantity} ({self.status})"


class ReservationStatus(models.TextChoices):
    RESERVED = "RESERVED"
    IDENTITY_VERIFIED = "IDENTITY_VERIFIED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


LIVE_RESERVATION = (ReservationStatus.RESERVED, ReservationStatus.IDENTITY_VERIFIED)
RESERVATION_STATUS = StatusMachine("reservation", {
    ReservationStatus.RESERVED: {ReservationStatus.IDENTITY_VERIFIED,
                                 ReservationStatus.CANCELLED, ReservationStatus.EXPIRED},
    ReservationStatus.IDENTITY_VERIFIED: {ReservationStatus.COMPLETED,
                                          ReservationStatus.CANCELLED,
                                          ReservationStatus.EXPIRED},
})


class PetrolReservation(models.Model):
    """The seats a PIN's lookup holds for 20 minutes, as a quota claim made for the fan."""

    pin = models.ForeignKey(PetrolPin, on_delete=models.PROTECT, related_name="reservations")
    claim = models.OneToOneField(QuotaClaim, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    station = models.ForeignKey(PetrolStation, on_delete=models.PROTECT, related_name="+")
    seats = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=17, choices=ReservationStatus.choices,
                              default=ReservationStatus.RESERVED)
    reserved_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    cancellation_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-reserved_at", "-id"]
        constraints = [models.UniqueConstraint(
            fields=["pin"], condition=Q(status__in=["RESERVED", "IDENTITY_VERIFIED"]),
            name="petrol_one_live_reservation_per_pin")]
        indexes = [models.Index(fields=["status", "expires_at"], name="petrol_resv_status")]

    def __str__(self):
        return f"Reservation {self.pk} of PIN {self.pin_id} ({self.status})"


class PaymentMethod(models.TextChoices):
    CASH = "CASH"
    CARD = "CARD"


class PetrolSale(models.Model):
    reservation = models.OneToOneField(PetrolReservation, on_delete=models.PROTECT,
                                       related_name="sale")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="petrol_sale")
    station = models.ForeignKey(PetrolStation, on_delete=models.PROTECT, related_name="sales")
    payment_method = models.CharField(max_length=4, choices=PaymentMethod.choices)
    payment_reference = models.CharField(max_length=100)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    processed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-processed_at", "-id"]

    def __str__(self):
        return f"Petrol sale {self.pk}: {self.total_amount} by {self.payment_method}"


class PetrolQuotaManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(quota_type="PETROL", parent__isnull=True)


class PetrolQuota(Quota):
    """The Petrol quotas, for their own section of Django Admin."""

    objects = PetrolQuotaManager()

    class Meta:
        proxy = True
        verbose_name = "Petrol quota"
