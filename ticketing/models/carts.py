"""Carts (E4-F4): a fan's seats on hold for one match until checkout or expiry.

A cart holds seats through the allocator with the owner string `cart:<id>` (seating never
imports ticketing). Status moves only through `ticketing.services.cart` (TRANSITIONS there)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from seating.models import GeneralAdmissionHold, Match, MatchSector, PriceCategory, SeatInventory


class CartStatus(models.TextChoices):
    OPEN = "OPEN"
    CHECKED_OUT = "CHECKED_OUT"
    EXPIRED = "EXPIRED"
    RELEASED = "RELEASED"


class Cart(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="carts")
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="carts")
    status = models.CharField(max_length=11, choices=CartStatus.choices,
                              default=CartStatus.OPEN)
    # Every hold of the cart ends here: the queue window's end, or CART_HOLD_MINUTES after
    # the cart was opened when the fan came in without a queue.
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "match"], condition=Q(status="OPEN"),
                                    name="cart_one_open_per_fan_and_match"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="cart_status_expiry")]

    def __str__(self):
        return f"Cart {self.pk} of {self.user_id} for match {self.match_id} ({self.status})"

    @property
    def hold_owner(self) -> str:
        return f"cart:{self.pk}"


class CartPackage(models.Model):
    """One cart line of `quantity` packages (ticketing.packages) at `unit_price` each; its seats
    are the cart items that point here."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="package_lines")
    package = models.ForeignKey("packages.Package", on_delete=models.PROTECT,
                                related_name="cart_lines")
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2,
                                     help_text="The package's price when it was added")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["cart"], name="cart_package_cart")]

    def __str__(self):
        return f"{self.quantity} x package {self.package_id} in cart {self.cart_id}"

    @property
    def total(self):
        return self.unit_price * self.quantity


class CartItem(models.Model):
    """One held seat (`inventory`), or `quantity` standing places (`ga_hold`), with the zone
    and the price at the moment they were added."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    match_sector = models.ForeignKey(MatchSector, on_delete=models.CASCADE,
                                     related_name="cart_items")
    price_category = models.ForeignKey(PriceCategory, on_delete=models.PROTECT,
                                       related_name="cart_items")
    inventory = models.ForeignKey(SeatInventory, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="cart_items")
    ga_hold = models.ForeignKey(GeneralAdmissionHold, null=True, blank=True,
                                on_delete=models.CASCADE, related_name="cart_items")
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=8, decimal_places=2,
                                     help_text="Price paid per ticket (after the discount)")
    full_price = models.DecimalField(max_digits=8, decimal_places=2)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    # A seat of a package line: its price is the seat's share of the package price.
    package_line = models.ForeignKey(CartPackage, null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="items")
    # From the allocation that added the item: seats of one add sit together or not.
    together = models.BooleanField(default=True)
    warning = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(inventory__isnull=False, ga_hold__isnull=True)
                           | Q(inventory__isnull=True, ga_hold__isnull=False)),
                name="cart_item_seat_or_standing"),
        ]

    def __str__(self):
        return f"Cart item {self.pk} ({self.quantity} in sector {self.match_sector_id})"
