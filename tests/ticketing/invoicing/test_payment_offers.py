"""Deferred payment offers (E8-F4): a debtor's deferred orders grouped into one offer, sent
through e-računi as a quote, OVERDUE after its due date, PAID (debts settled, an invoice
issued) or CANCELLED (orders free again); an order is in one open offer at most."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict
from core.roles import Role
from payments.models import DebtStatus
from tests.assertions import assert_error
from tests.concurrency import run_together
from tests.ticketing.test_checkout import valid_oib
from ticketing.aftersale.services.refunds import order_refund
from ticketing.invoicing import tasks
from ticketing.invoicing.models import (
    Debtor,
    DocumentStatus,
    DocumentType,
    EracuniDocument,
    OfferStatus,
    PaymentOffer,
)
from ticketing.invoicing.services.offers import offer_create

pytestmark = pytest.mark.django_db
URL = "/api/admin/payment-offers"


@pytest.fixture
def finance(make_user, back_office):
    return back_office(make_user("finance@hns.hr", roles=[Role.FINANCE]))


def debtor_for(user, **fields) -> Debtor:
    return Debtor.objects.create(**{
        "account": user, "name": "Sponzor d.o.o.", "oib": valid_oib(4242),
        "address": "Ulica grada Vukovara 1, 10000 Zagreb", "email": "racuni@sponzor.hr",
        "payment_terms_days": 15} | fields)


def offer(finance, capture, **body):
    with capture(execute=True):
        return finance.post(URL, body, format="json")


def test_an_offer_groups_the_debtors_orders_and_is_sent_as_a_quote(
        eracuni, deferred_orders, finance, django_capture_on_commit_callbacks):
    orders = deferred_orders(2)
    debtor = debtor_for(deferred_orders.holder.user)

    response = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk,
                     order_ids=[o.pk for o in orders], note="Kolo 1")

    assert response.status_code == 201, response.content
    body = response.json()
    owed = sum((o.debt.amount for o in orders), Decimal("0"))
    assert Decimal(body["total_amount"]) == owed == Decimal("169.60")
    assert body["due_date"] == str(timezone.localdate() + timedelta(days=15))
    assert [line["order_id"] for line in body["lines"]] == [o.pk for o in orders]
    assert body["status"] == OfferStatus.DRAFT  # answered before the quote goes out
    body = finance.get(f"{URL}/{body['id']}").json()
    assert body["status"] == OfferStatus.SENT  # e-računi took the quote and mailed it
    [quote] = eracuni.created("SalesQuote")
    assert quote["document"]["buyerTaxNumber"] == debtor.oib
    assert quote["document"]["orderReference"] == f"offer:{body['id']}"
    assert quote["emailed_to"] == ["racuni@sponzor.hr"]
    [document] = body["documents"]
    assert (document["document_type"], document["status"], document["e_racuni_id"]) == (
        "PAYMENT_OFFER", "SENT", quote["documentID"])


def test_without_order_ids_it_takes_every_open_deferred_order(
        eracuni, deferred_orders, finance, django_capture_on_commit_callbacks):
    orders = deferred_orders(2)
    debtor = debtor_for(deferred_orders.holder.user)

    body = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk).json()

    assert sorted(line["order_id"] for line in body["lines"]) == [o.pk for o in orders]
    again = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk)
    assert_error(again, 409, "nothing_owed")


def test_an_order_that_is_not_the_debtors_is_refused_naming_the_field(
        no_eracuni, deferred_orders, finance, make_user, django_capture_on_commit_callbacks):
    [order] = deferred_orders(1)
    stranger = debtor_for(make_user("other@firm.hr"), oib=valid_oib(777))

    response = offer(finance, django_capture_on_commit_callbacks, debtor_id=stranger.pk,
                     order_ids=[order.pk])

    body = assert_error(response, 422, "validation_failed")
    assert "order_ids" in body["fields"]
    assert not PaymentOffer.objects.exists()


def test_an_order_is_in_one_open_offer_at_most_until_that_one_is_cancelled(
        no_eracuni, deferred_orders, finance, django_capture_on_commit_callbacks):
    [order] = deferred_orders(1)
    debtor = debtor_for(deferred_orders.holder.user)
    first = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk,
                  order_ids=[order.pk]).json()
    assert first["status"] == OfferStatus.DRAFT  # e-računi is not configured: it waits

    second = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk,
                   order_ids=[order.pk])
    assert_error(second, 409, "order_in_open_offer")

    cancelled = finance.post(f"{URL}/{first['id']}/cancel", {"reason": "wrong month"},
                             format="json")
    assert cancelled.json()["status"] == OfferStatus.CANCELLED
    third = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk,
                  order_ids=[order.pk])
    assert third.status_code == 201


def test_a_sent_offer_past_its_due_date_becomes_overdue(
        eracuni, deferred_orders, finance, django_capture_on_commit_callbacks):
    deferred_orders(1)
    debtor = debtor_for(deferred_orders.holder.user)
    body = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk).json()
    PaymentOffer.objects.filter(pk=body["id"]).update(
        due_date=timezone.localdate() - timedelta(days=1))

    assert tasks.payment_offers_overdue() == 1

    assert PaymentOffer.objects.get(pk=body["id"]).status == OfferStatus.OVERDUE
    assert tasks.payment_offers_overdue() == 0


def test_marking_an_offer_paid_settles_its_debts_and_issues_the_invoice(
        eracuni, deferred_orders, finance, django_capture_on_commit_callbacks):
    orders = deferred_orders(2)
    debtor = debtor_for(deferred_orders.holder.user)
    body = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk).json()

    with django_capture_on_commit_callbacks(execute=True):
        paid = finance.post(f"{URL}/{body['id']}/paid")

    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == OfferStatus.PAID
    for order in orders:
        order.debt.refresh_from_db()
        assert order.debt.status == DebtStatus.SETTLED
    invoice = EracuniDocument.objects.get(document_type=DocumentType.INVOICE,
                                          payment_offer_id=body["id"])
    assert invoice.status == DocumentStatus.SENT and invoice.amount == Decimal("169.60")
    again = finance.post(f"{URL}/{body['id']}/paid")
    assert_error(again, 400, "invalid_transition")


def test_only_finance_groups_offers(deferred_orders, make_user, back_office):
    agent = back_office(make_user("agent@hns.hr", roles=[Role.SUPPORT_AGENT]))
    assert agent.post(URL, {"debtor_id": 1}, format="json").status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_admins_grouping_the_same_order_at_once_make_one_offer(
        no_eracuni, deferred_orders, make_user):
    [order] = deferred_orders(1)
    debtor = debtor_for(deferred_orders.holder.user)
    admins = [make_user(f"finance{n}@hns.hr", roles=[Role.FINANCE]) for n in range(8)]

    results = run_together(8, lambda n: offer_create(debtor_id=debtor.pk, order_ids=[order.pk],
                                                     actor=admins[n]))

    made = [r for r in results if isinstance(r, PaymentOffer)]
    assert len(made) == 1, results
    refused = [r for r in results if r not in made]
    assert all(isinstance(r, Conflict) and r.code == "order_in_open_offer" for r in refused), \
        results
    assert PaymentOffer.objects.count() == 1


def test_a_quote_waiting_for_e_racuni_is_never_sent_once_the_offer_is_cancelled(
        eracuni, deferred_orders, finance, settings, django_capture_on_commit_callbacks):
    deferred_orders(1)
    debtor = debtor_for(deferred_orders.holder.user)
    settings.ERACUNI_TOKEN = ""  # e-računi not reachable yet: the quote waits
    body = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk).json()
    finance.post(f"{URL}/{body['id']}/cancel", {"reason": "wrong month"}, format="json")
    settings.ERACUNI_TOKEN = "0123456789ABCDEF0123456789ABCDEF"

    EracuniDocument.objects.update(updated_at=timezone.now() - timedelta(minutes=10))
    assert tasks.documents_resend() == 0
    quote = EracuniDocument.objects.get(document_type=DocumentType.PAYMENT_OFFER)
    assert quote.status == DocumentStatus.CANCELLED
    assert eracuni.created("SalesQuote") == []


def gross(items: list[dict]) -> Decimal:
    return sum(((Decimal(i["netPrice"]) * (1 + Decimal(i["vatPercentage"]) / 100))
                .quantize(Decimal("0.01")) for i in items), Decimal("0"))


def test_a_refund_after_grouping_comes_off_the_offers_invoice_at_its_vat_rate(
        eracuni, deferred_orders, finance, supervisor, django_capture_on_commit_callbacks):
    [order] = deferred_orders(1)
    debtor = debtor_for(deferred_orders.holder.user)
    body = offer(finance, django_capture_on_commit_callbacks, debtor_id=debtor.pk).json()
    with django_capture_on_commit_callbacks(execute=True):
        order_refund(order_id=order.pk, ticket_ids=[order.tickets.order_by("pk").first().pk],
                     reason="guest cancelled", actor=supervisor.user)
        finance.post(f"{URL}/{body['id']}/paid")

    order.debt.refresh_from_db()
    invoice = EracuniDocument.objects.get(document_type=DocumentType.INVOICE,
                                          payment_offer_id=body["id"])
    assert invoice.amount == order.debt.owed_amount < Decimal(body["total_amount"])
    sent = eracuni.documents[invoice.e_racuni_id]["document"]
    assert gross(sent["Items"]) == invoice.amount
    assert {i["vatPercentage"] for i in sent["Items"] if i["netPrice"].startswith("-")} == {"5.00"}
