"""Debtors, deferred payment offers and the e-računi documents (E8-F4, E8-F5).

A document is written locally first (DRAFT, its payload fixed), then a task sends it to
e-računi (SENT, with e-računi's id and number) and a beat task polls it until it is FISCALIZED
or CANCELLED. One document per (type, local reference): queueing twice, or a retried task,
never makes a second invoice."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.pii import EncryptedTextField
from core.status import StatusMachine
from ticketing.models import Order


class DocumentType(models.TextChoices):
    PAYMENT_OFFER = "PAYMENT_OFFER"
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


class DocumentStatus(models.TextChoices):
    DRAFT = "DRAFT"  # written here, waiting to be sent (also while e-računi is not configured)
    SENT = "SENT"  # e-računi has it (its id and number are known), fiscalization pending
    FISCALIZED = "FISCALIZED"
    CANCELLED = "CANCELLED"


DOCUMENT_STATUS = StatusMachine("e-računi document", {
    DocumentStatus.DRAFT: {DocumentStatus.SENT, DocumentStatus.CANCELLED},
    DocumentStatus.SENT: {DocumentStatus.FISCALIZED, DocumentStatus.CANCELLED},
    DocumentStatus.FISCALIZED: {DocumentStatus.CANCELLED},
})


class EracuniDocument(models.Model):
    document_type = models.CharField(max_length=13, choices=DocumentType.choices)
    local_reference = models.CharField(
        max_length=60, help_text='What it is for, e.g. "order:12", "refund:5", "offer:3"')
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="documents")
    refund = models.ForeignKey("payments.Refund", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="documents")
    payment_offer = models.ForeignKey("invoicing.PaymentOffer", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="documents")
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="corrections",
                                 help_text="The invoice a credit note corrects")
    amount = models.DecimalField(max_digits=12, decimal_places=2,
                                 help_text="Gross total; negative on a credit note")
    currency = models.CharField(max_length=3, default="EUR")
    payload = models.JSONField(help_text="The document as sent to e-računi (without the OIB)")
    buyer_tax_number = EncryptedTextField(blank=True, default="",
                                          help_text="The buyer's OIB, added when it is sent")
    e_racuni_id = models.CharField(max_length=64, blank=True, default="",
                                   help_text="e-računi's documentID")
    e_racuni_number = models.CharField(max_length=64, blank=True, default="")
    fiscalization_id = models.CharField(max_length=64, blank=True, default="",
                                        help_text="The tax authority's JIR")
    public_url = models.URLField(max_length=500, blank=True, default="",
                                 help_text="Where the buyer views and prints the PDF")
    status = models.CharField(max_length=10, choices=DocumentStatus.choices,
                              default=DocumentStatus.DRAFT, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    fiscalized_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["document_type", "local_reference"],
                                               name="eracuni_document_once")]

    def __str__(self):
        number = self.e_racuni_number or "not sent"
        return f"{self.get_document_type_display()} {self.local_reference} ({number})"


class Debtor(models.Model):
    """Who a deferred payment offer is addressed to: a partner or sponsor firm, linked to the
    account its debts are recorded against (payments.Debt.debtor)."""

    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="debtor",
                                   help_text="The account whose deferred orders it pays for")
    name = models.CharField(max_length=200)
    oib = models.CharField(max_length=11, unique=True)
    address = models.CharField(max_length=300)
    email = models.EmailField()
    payment_terms_days = models.PositiveSmallIntegerField(default=15)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.oib})"


class OfferStatus(models.TextChoices):
    DRAFT = "DRAFT"  # grouped; e-računi has not got it yet
    SENT = "SENT"
    PAID = "PAID"
    OVERDUE = "OVERDUE"
    CANCELLED = "CANCELLED"


OPEN_OFFER_STATUSES = (OfferStatus.DRAFT, OfferStatus.SENT, OfferStatus.OVERDUE)

OFFER_STATUS = StatusMachine("payment offer", {
    OfferStatus.DRAFT: {OfferStatus.SENT, OfferStatus.PAID, OfferStatus.CANCELLED},
    OfferStatus.SENT: {OfferStatus.PAID, OfferStatus.OVERDUE, OfferStatus.CANCELLED},
    OfferStatus.OVERDUE: {OfferStatus.PAID, OfferStatus.CANCELLED},
})


class PaymentOffer(models.Model):
    """One debtor's deferred orders grouped into one offer to pay (E8-F4)."""

    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="offers")
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    due_date = models.DateField()
    status = models.CharField(max_length=9, choices=OfferStatus.choices,
                              default=OfferStatus.DRAFT, db_index=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(total_amount__gt=Decimal("0")),
                                              name="payment_offer_positive")]

    def __str__(self):
        return f"Payment offer {self.pk} to {self.debtor.name}: {self.total_amount} {self.currency}"


class PaymentOfferOrder(models.Model):
    """An order in an offer. `open` while the offer is DRAFT, SENT or OVERDUE: an order is in
    one open offer at most (a partial unique index, so two admins grouping at once cannot)."""

    offer = models.ForeignKey(PaymentOffer, on_delete=models.CASCADE, related_name="lines")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="offer_lines")
    amount = models.DecimalField(max_digits=12, decimal_places=2,
                                 help_text="What the order's debt still owed when grouped")
    open = models.BooleanField(default=True)

    class Meta:
        ordering = ["order_id"]
        constraints = [models.UniqueConstraint(fields=["order"], condition=Q(open=True),
                                               name="order_in_one_open_offer")]

    def __str__(self):
        return f"Order {self.order_id} in offer {self.offer_id} ({self.amount})"
