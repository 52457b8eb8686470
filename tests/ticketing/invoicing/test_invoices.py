"""Invoices and credit notes (E8-F5, E9-F7): every paid order gets an invoice in e-računi, its
PDF link in the order; every refund of it a credit note; polling follows them to FISCALIZED;
a retried task never issues a second one; without credentials they wait as DRAFT."""

from decimal import Decimal

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from payments.models import Refund
from ticketing.aftersale.services.refunds import order_refund
from ticketing.invoicing import tasks
from ticketing.invoicing.models import DocumentStatus, DocumentType, EracuniDocument
from ticketing.invoicing.services.documents import document_send, documents_poll

pytestmark = pytest.mark.django_db


def gross(items: list[dict]) -> Decimal:
    """What e-računi makes of the items: net price plus its VAT, per item."""
    total = Decimal("0.00")
    for item in items:
        net, rate = Decimal(item["netPrice"]), Decimal(item["vatPercentage"]) / 100
        total += (net * (1 + rate)).quantize(Decimal("0.01"))
    return total


def invoice_of(order) -> EracuniDocument:
    return EracuniDocument.objects.get(document_type=DocumentType.INVOICE, order=order)


def test_a_paid_order_is_invoiced_in_e_racuni_and_the_order_shows_the_pdf(eracuni, paid, buyer):
    order = paid(2)

    invoice = invoice_of(order)
    assert invoice.status == DocumentStatus.SENT
    assert (invoice.local_reference, invoice.amount) == (f"order:{order.pk}", order.total_amount)
    [made] = eracuni.created("SalesInvoice")
    assert (invoice.e_racuni_id, invoice.e_racuni_number) == (made["documentID"], made["number"])
    sent = made["document"]
    assert sent["orderReference"] == f"order:{order.pk}"
    assert sent["buyerName"] == "Ana Horvat" and sent["buyerEMail"] == "fan@example.com"
    assert [item["vatPercentage"] for item in sent["Items"]] == ["5.00", "25.00"]
    assert gross(sent["Items"]) == order.total_amount  # to the cent

    body = buyer.get(f"/api/orders/{order.pk}").json()
    assert body["invoice"] == {"number": made["number"], "status": "SENT",
                               "pdf_url": f"https://e-racuni.example/pdf/{made['documentID']}"}


def test_polling_follows_an_invoice_to_fiscalized(eracuni, paid):
    invoice = invoice_of(paid(1))
    assert documents_poll() == 0  # nothing new yet

    eracuni.fiscalize(invoice.e_racuni_number, jir="6f1e2d3c-jir")
    assert tasks.documents_poll() == 1

    invoice.refresh_from_db()
    assert (invoice.status, invoice.fiscalization_id) == (DocumentStatus.FISCALIZED,
                                                          "6f1e2d3c-jir")
    assert invoice.fiscalized_at is not None


def test_an_invoice_cancelled_in_e_racuni_is_cancelled_here(eracuni, paid):
    invoice = invoice_of(paid(1))
    eracuni.documents[invoice.e_racuni_id]["status"] = "Cancelled"

    documents_poll()

    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.CANCELLED and invoice.cancelled_at


@pytest.fixture
def failing_tasks_stay_in_the_worker(monkeypatch):
    """A task that fails (and would be retried by the worker) does not raise into the sale."""
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", False)


def test_a_lost_answer_and_the_retry_make_one_invoice(
        eracuni, paid, failing_tasks_stay_in_the_worker):
    eracuni.faults["SalesInvoiceCreate"] = "lost"  # made there, the answer times out here

    invoice = invoice_of(paid(1))  # the task fails, Celery retries it

    assert len(eracuni.created("SalesInvoice")) == 1  # the retry found it instead
    assert len(eracuni.calls("SalesInvoiceCreate")) == len(eracuni.calls("SalesInvoiceList")) == 1
    assert invoice.status == DocumentStatus.SENT and invoice.attempts == 2
    assert document_send(document_id=invoice.pk) is None  # sent already: nothing happens
    assert len(eracuni.calls("SalesInvoiceCreate")) == 1


def test_an_e_racuni_refusal_is_kept_for_the_admin_and_not_retried(eracuni, paid):
    eracuni.faults["SalesInvoiceCreate"] = "error"

    invoice = invoice_of(paid(1))

    assert invoice.status == DocumentStatus.DRAFT and invoice.attempts == 1
    assert invoice.last_error == "refused: SalesInvoiceCreate: Buyer tax number is not valid"
    EracuniDocument.objects.filter(pk=invoice.pk).update(
        updated_at=timezone.now() - timezone.timedelta(minutes=10))
    assert tasks.documents_resend() == 0  # the admin fixes it and sends it again


def test_without_credentials_invoices_wait_and_go_once_they_are_set(eracuni, paid, settings):
    settings.ERACUNI_TOKEN = ""
    order = paid(1)
    invoice = invoice_of(order)
    assert (invoice.status, invoice.attempts, eracuni.requests) == (DocumentStatus.DRAFT, 0, [])

    settings.ERACUNI_TOKEN = "0123456789ABCDEF0123456789ABCDEF"
    EracuniDocument.objects.filter(pk=invoice.pk).update(
        updated_at=timezone.now() - timezone.timedelta(minutes=10))
    assert tasks.documents_resend() == 1

    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.SENT


def test_a_refund_gets_a_credit_note_correcting_the_invoice(
        eracuni, paid, supervisor, django_capture_on_commit_callbacks):
    order = paid(2)
    invoice = invoice_of(order)
    ticket = order.tickets.order_by("pk").first()

    with django_capture_on_commit_callbacks(execute=True):
        order_refund(order_id=order.pk, ticket_ids=[ticket.pk], reason="Fan ill",
                     actor=supervisor.user)

    refund = Refund.objects.get()
    note = EracuniDocument.objects.get(document_type=DocumentType.CREDIT_NOTE)
    assert (note.local_reference, note.amount, note.corrects) == (
        f"refund:{refund.pk}", -refund.amount, invoice)
    assert note.status == DocumentStatus.SENT
    sent = eracuni.documents[note.e_racuni_id]["document"]
    assert sent["referenceDocumentNumber"] == invoice.e_racuni_number
    assert gross(sent["Items"]) == -refund.amount


def test_deferred_orders_are_invoiced_through_their_offer_not_at_once(eracuni, deferred_orders):
    [order] = deferred_orders(1)
    assert not EracuniDocument.objects.filter(order=order).exists()


def test_the_sweep_invoices_a_paid_order_whose_invoice_was_lost(
        eracuni, paid, django_capture_on_commit_callbacks):
    order = paid(1)
    EracuniDocument.objects.all().delete()  # as if the task had never run
    order.__class__.objects.filter(pk=order.pk).update(
        ended_at=timezone.now() - timezone.timedelta(minutes=10))

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.invoices_missing() == 1
    assert invoice_of(order).status == DocumentStatus.SENT
    assert tasks.invoices_missing() == 0


def test_a_credit_note_waits_until_its_invoice_has_a_number(
        eracuni, paid, supervisor, settings, failing_tasks_stay_in_the_worker,
        django_capture_on_commit_callbacks):
    settings.ERACUNI_TOKEN = ""  # the invoice cannot go yet
    order = paid(1)
    settings.ERACUNI_TOKEN = "0123456789ABCDEF0123456789ABCDEF"
    with django_capture_on_commit_callbacks(execute=True):
        order_refund(order_id=order.pk, ticket_ids=None, reason="ill", actor=supervisor.user)
    note = EracuniDocument.objects.get(document_type=DocumentType.CREDIT_NOTE)
    assert note.status == DocumentStatus.DRAFT
    assert "waiting for invoice" in note.last_error

    document_send(document_id=invoice_of(order).pk)
    document_send(document_id=note.pk)

    note.refresh_from_db()
    assert note.status == DocumentStatus.SENT
    sent = eracuni.documents[note.e_racuni_id]["document"]
    assert sent["referenceDocumentNumber"] == invoice_of(order).e_racuni_number


def test_the_buyers_oib_is_sent_but_not_kept_in_the_clear(eracuni, paid):
    invoice = invoice_of(paid(1))
    assert "buyerTaxNumber" not in invoice.payload
    assert eracuni.created("SalesInvoice")[0]["document"]["buyerTaxNumber"] == \
        invoice.order.buyer.profile.oib
