"""Orders and tickets (E4-F5, E4-F7, E4-F8, E9-F1).

An order is what a checkout of one cart becomes: one `OrderItem` per ticket (a standing cart
item of 3 places is 3 items, each with its own holder), the amounts from `payments.pricing`,
and a payment known to `payments` only as the reference `order:<id>`. Tickets are issued once
the payment succeeded while the cart's holds were still live. A quota claim becomes an order
too (source QUOTA, no cart), recorded COMPLETED with its tickets once the claim completes
(`ticketing.services.direct_orders`). Status moves only through `ticketing.services.checkout`
(ORDER_STATUS there)."""

from django.conf import settings
from django.db import models

from core.pii import EncryptedTextField, mask
from payments.models import Payment
from seating.models import GeneralAdmissionHold, Match, MatchSector, PriceCategory, SeatInventory
from ticketing.models.carts import Cart, CartItem


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"  # the last payment attempt failed; retryable while the hold lasts
    EXPIRED = "EXPIRED"  # the hold ended before a payment succeeded
    REFUNDED = "REFUNDED"


class OrderSource(models.TextChoices):
    SHOP = "SHOP"  # a fan's cart
    QUOTA = "QUOTA"  # a quota claim (quotas app), recorded once claimed


class HolderSource(models.TextChoices):
    DEFAULT_PROFILE = "DEFAULT_PROFILE"
    SAVED_PROFILE = "SAVED_PROFILE"
    MANUAL_ENTRY = "MANUAL_ENTRY"


class RefundState(models.TextChoices):
    """How much of an order has been given back (E9-F7): its tickets refunded or cancelled."""

    NONE = "NONE"
    PARTIAL = "PARTIAL"
    FULL = "FULL"


MONEY = {"max_digits": 12, "decimal_places": 2}


class Order(models.Model):
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="orders")
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="orders")
    source = models.CharField(max_length=5, choices=OrderSource.choices,
                              default=OrderSource.SHOP)
    # One order per cart: a second checkout of the same cart is refused by the database too.
    # Quota claims have no cart (their hold is the claim's, see quotas.models.QuotaClaim).
    cart = models.OneToOneField(Cart, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="order")
    number = models.CharField(max_length=20, unique=True, null=True, blank=True,
                              help_text='"HNS-2026-000123", set right after the row exists')
    status = models.CharField(max_length=15, choices=OrderStatus.choices,
                              default=OrderStatus.PENDING_PAYMENT)
    ticket_amount = models.DecimalField(**MONEY)
    ticket_vat_amount = models.DecimalField(**MONEY)
    fee_amount = models.DecimalField(**MONEY)
    fee_vat_amount = models.DecimalField(**MONEY)
    total_amount = models.DecimalField(**MONEY)
    fee_percent = models.DecimalField(max_digits=5, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    # The n-th payment attempt; its idempotency key is f"order:{id}:{attempt}".
    payment_attempt = models.PositiveSmallIntegerField(default=1)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text="The payment that completed it")
    debt = models.ForeignKey("payments.Debt", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", help_text="What is owed for it (deferred payment)")
    refund_status = models.CharField(max_length=7, choices=RefundState.choices,
                                     default=RefundState.NONE)
    paid_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["buyer", "match"], name="order_buyer_match"),
                   models.Index(fields=["status"], name="order_status")]

    def __str__(self):
        return f"Order {self.number or self.pk} ({self.status})"

    @property
    def payment_reference(self) -> str:
        return f"order:{self.pk}"

    @property
    def payment_idempotency_key(self) -> str:
        return f"order:{self.pk}:{self.payment_attempt}"


class OrderItem(models.Model):
    """One ticket to be: the seat (or a standing place of `ga_hold`), its price, its holder."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    cart_item = models.ForeignKey(CartItem, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="order_items")
    inventory = models.ForeignKey(SeatInventory, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="order_items")
    ga_hold = models.ForeignKey(GeneralAdmissionHold, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="order_items")
    match_sector = models.ForeignKey(MatchSector, on_delete=models.PROTECT, related_name="+")
    price_category = models.ForeignKey(PriceCategory, on_delete=models.PROTECT,
                                       related_name="order_items")
    unit_price = models.DecimalField(max_digits=8, decimal_places=2,
                                     help_text="What this ticket costs, after the discount")
    package = models.ForeignKey("packages.Package", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="order_items",
                                help_text="The package this ticket came in")
    holder_source = models.CharField(max_length=15, choices=HolderSource.choices)
    saved_profile = models.ForeignKey("ticketing.SavedProfile", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="order_items")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    nationality = models.CharField(max_length=2)
    oib = EncryptedTextField(blank=True, default="")
    oib_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    passport_number = EncryptedTextField(blank=True, default="")
    email = models.EmailField(blank=True)
    is_minor = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.full_name} in order {self.order_id}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def oib_masked(self) -> str:
        return mask(self.oib)


class TicketStatus(models.TextChoices):
    VALID = "VALID"
    CANCELLED = "CANCELLED"  # given back by its buyer (E9-F8)
    REFUNDED = "REFUNDED"  # refunded by support or an admin (E8-F3)
    CANCELLED_MATCH_CANCELLED = "CANCELLED_MATCH_CANCELLED"  # the match was called off (E2-F7)
    CANCELLED_BLACKLIST = "CANCELLED_BLACKLIST"  # a holder or buyer was banned (E11-F4)
    ATTENDED = "ATTENDED"  # scanned in at a gate, from the attendance import (E2-F9)


class Ticket(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="tickets")
    order_item = models.OneToOneField(OrderItem, on_delete=models.PROTECT,
                                      related_name="ticket")
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="tickets")
    inventory = models.ForeignKey(SeatInventory, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="tickets")
    status = models.CharField(max_length=25, choices=TicketStatus.choices,
                              default=TicketStatus.VALID)
    # Random digits from `secrets`: not derived from any id, so it cannot be guessed. A
    # transfer gives the ticket a new one, so the old QR code no longer opens a gate.
    barcode = models.CharField(max_length=18, unique=True)
    holder_name = models.CharField(max_length=201)
    transfer_allowed = models.BooleanField(
        default=False, help_text="Set at issue: the match's setting, or the quota's")
    transfer_count = models.PositiveSmallIntegerField(default=0)
    refund = models.ForeignKey("payments.Refund", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               help_text="The refund that gave its money back")
    issued_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True,
                                    help_text="When it stopped being valid")
    attended_at = models.DateTimeField(null=True, blank=True,
                                       help_text="When its holder came through a gate")
    external_ticket_required = models.BooleanField(
        default=False, help_text="An away match's host ticket (a PDF) gets its holder in: our "
        "QR is not shown")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["match", "status"], name="ticket_match_status")]

    def __str__(self):
        return f"Ticket {self.barcode} ({self.status})"
