"""Promo codes (US7) and the use an order made of one.

A code belongs to a match, or to the platform (no match). It applies to all of the match's
tickets, or only to the chosen price categories (zones), match sectors and packages (a zone or
sector target covers plain tickets; a package's seats count only through a package target).
`uses_count` is a maintained counter, taken and given back by single conditional UPDATEs
(`services.codes`), and the database refuses a count past `max_uses`."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from seating.models import Match, MatchSector, PriceCategory
from ticketing.models import Order

CODE_PATTERN = r"^[A-Za-z0-9]{4,20}$"
code_validator = RegexValidator(CODE_PATTERN, "4 to 20 letters and digits.")


class PromoKind(models.TextChoices):
    PERCENT = "PERCENT", "Percentage"
    FIXED = "FIXED", "Fixed amount (EUR)"


class PromoCode(models.Model):
    match = models.ForeignKey(Match, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="promo_codes",
                              help_text="Empty: valid for every match (platform-wide)")
    code = models.CharField(max_length=20, validators=[code_validator],
                            help_text="Stored upper-case; fans may type it in any case")
    kind = models.CharField(max_length=7, choices=PromoKind.choices)
    value = models.DecimalField(max_digits=8, decimal_places=2,
                                help_text="PERCENT: 1 to 100; FIXED: EUR, at least 1.00")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True,
                                           help_text="Empty: unlimited")
    uses_count = models.PositiveIntegerField(default=0, editable=False)
    max_uses_per_buyer = models.PositiveIntegerField(null=True, blank=True,
                                                     help_text="Empty: unlimited")
    # All empty: all of the match's tickets, packages too.
    price_categories = models.ManyToManyField(PriceCategory, blank=True, related_name="+")
    match_sectors = models.ManyToManyField(MatchSector, blank=True, related_name="+")
    packages = models.ManyToManyField("packages.Package", blank=True, related_name="promo_codes")
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Upper("code"), F("match"), name="promo_code_unique_match"),
            models.UniqueConstraint(Upper("code"), condition=Q(match__isnull=True),
                                    name="promo_code_unique_platform"),
            models.CheckConstraint(condition=Q(uses_count__gte=0), name="promo_uses_not_negative"),
            models.CheckConstraint(condition=Q(max_uses__isnull=True)
                                   | Q(uses_count__lte=F("max_uses")),
                                   name="promo_uses_within_max"),
            models.CheckConstraint(
                condition=Q(kind=PromoKind.PERCENT, value__gte=1, value__lte=100)
                | Q(kind=PromoKind.FIXED, value__gte=1),
                name="promo_value_in_range"),
        ]

    def __str__(self):
        return self.code

    @property
    def uses_left(self) -> int | None:
        return None if self.max_uses is None else self.max_uses - self.uses_count


class ApplicationStatus(models.TextChoices):
    APPLIED = "APPLIED", "Applied (awaiting payment)"
    CONFIRMED = "CONFIRMED", "Confirmed (paid)"
    RELEASED = "RELEASED", "Released (use given back)"


class PromoCodeApplication(models.Model):
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="promo_application")
    promo_code = models.ForeignKey(PromoCode, on_delete=models.PROTECT,
                                   related_name="applications")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+")
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=9, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.APPLIED)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["promo_code", "buyer", "status"],
                                name="promo_app_code_buyer")]

    def __str__(self):
        return f"{self.promo_code_id} on order {self.order_id}"
