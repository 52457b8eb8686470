"""Ticket packages, their custom options, and what a sale of one records.

A package's seats are ordinary seats of its zones, held and sold through the allocator like any
ticket (`ticketing.services.cart.cart_add_package`); the package adds its price, its stock and
its options. Stock is two maintained counters: `held_count` (packages in live carts and unpaid
orders) and `sold_count` (paid), taken and moved by single conditional UPDATEs
(`services.stock`), and the database refuses a `quantity_limit` below their sum."""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from seating.models import Match, PriceCategory

OPTIONS_MAX = 4
CHOICES_MIN, CHOICES_MAX = 2, 10
TEXT_ANSWER_MAX = 500


class Package(models.Model):
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="packages")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(2000)])
    price = models.DecimalField(max_digits=10, decimal_places=2,
                                validators=[MinValueValidator(0)],
                                help_text="The whole package, VAT included (EUR)")
    seats_per_package = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)],
        help_text="Tickets in one package, seated together where possible")
    zones = models.ManyToManyField(PriceCategory, related_name="packages",
                                   help_text="The zones its seats are drawn from")
    quantity_limit = models.PositiveIntegerField(null=True, blank=True,
                                                 help_text="Packages on sale; empty: unlimited")
    sold_count = models.PositiveIntegerField(default=0, editable=False)
    held_count = models.PositiveIntegerField(default=0, editable=False,
                                             help_text="In carts and unpaid orders")
    is_sponsorship = models.BooleanField(default=False, help_text="Includes a sponsorship")
    display_order = models.PositiveIntegerField(default=0, db_index=True)
    image = models.ImageField(upload_to="packages/", blank=True)
    thumbnail = models.ImageField(upload_to="packages/thumbs/", blank=True, editable=False)
    is_active = models.BooleanField(default=True, help_text="Shown to fans and on sale")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="package_price_not_negative"),
            models.CheckConstraint(condition=Q(seats_per_package__gte=1),
                                   name="package_seats_at_least_one"),
            models.CheckConstraint(
                condition=Q(quantity_limit__isnull=True)
                | Q(quantity_limit__gte=F("sold_count") + F("held_count")),
                name="package_limit_not_below_taken"),
        ]

    def __str__(self):
        return self.name

    @property
    def taken(self) -> int:
        return self.sold_count + self.held_count

    @property
    def available(self) -> int | None:
        """Packages left to sell; None when unlimited."""
        return None if self.quantity_limit is None else max(0, self.quantity_limit - self.taken)

    @property
    def sold_out(self) -> bool:
        return self.quantity_limit is not None and self.taken >= self.quantity_limit


class OptionKind(models.TextChoices):
    BOOLEAN = "BOOLEAN", "Yes / no"
    MULTI_SELECT = "MULTI_SELECT", "Multiple choice"
    TEXT = "TEXT", "Text"


class PackageOption(models.Model):
    """A question each ticket holder of the package answers at checkout ("T-shirt size",
    "Parking needed?"). One with answers is deactivated, never deleted."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="options")
    kind = models.CharField(max_length=12, choices=OptionKind.choices)
    label = models.CharField(max_length=200)
    choices = models.JSONField(default=list, blank=True,
                               help_text="Multiple choice: 2 to 10 distinct answers")
    is_required = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "id"]

    def __str__(self):
        return self.label


class OptionResponse(models.Model):
    """A ticket holder's answer: True/False, a list of chosen answers, or text."""

    order_item = models.ForeignKey("ticketing.OrderItem", on_delete=models.CASCADE,
                                   related_name="option_responses")
    option = models.ForeignKey(PackageOption, on_delete=models.PROTECT, related_name="responses")
    value = models.JSONField()

    class Meta:
        ordering = ["order_item", "option__display_order", "option_id"]
        constraints = [models.UniqueConstraint(fields=["order_item", "option"],
                                               name="option_response_once")]

    def __str__(self):
        return f"{self.option_id}: {self.value}"

    @property
    def display(self) -> str:
        if isinstance(self.value, bool):
            return "Yes" if self.value else "No"
        if isinstance(self.value, list):
            return ", ".join(str(v) for v in self.value)
        return str(self.value)


class PackagePurchase(models.Model):
    """One cart line of packages as its order bought it: the sales tracking row (US9). The
    amounts are the line's: gross at the package price, the promo discount, net, and its share
    of the order's service fee."""

    order = models.ForeignKey("ticketing.Order", on_delete=models.CASCADE,
                              related_name="package_purchases")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="purchases")
    cart_line = models.OneToOneField("ticketing.CartPackage", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="purchase")
    quantity = models.PositiveSmallIntegerField()
    gross_amount = models.DecimalField(max_digits=12, decimal_places=2)
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2)
    fee_amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["package", "created_at"], name="package_purchase_time")]
        verbose_name = "package sale"  # the admin's sales tracking page

    def __str__(self):
        return f"{self.quantity} x {self.package_id} in order {self.order_id}"
