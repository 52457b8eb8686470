"""The quota portal in Chromium, against the ASGI live server (HTTP and WebSockets): the magic
link, the 3-step claim with the local payment provider and by card (Stripe's Payment Element,
with Stripe.js answered by a stand-in and the Stripe API by the tests' local server), delegation
and the sub-recipient's claim, retraction, and two windows kept in step by the live socket."""

import urllib.request
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from payments.models import Payment, PaymentStatus
from quotas.models import Quota, QuotaSeat, QuotaSeatStatus, QuotaStatus
from quotas.services.magic_links import magic_link_issue
from tests.payments.conftest import intent_event, sign, stripe_server  # noqa: F401 (fixture)
from tests.quotas.conftest import make_quota, numbered_match, seat_ids
from ticketing.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 2_000  # ms: a change in one window must show in the other within 2 seconds


@pytest.fixture(autouse=True)
def _portal_env(settings, email_templates):
    settings.PAYMENTS_PROVIDER = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""


@pytest.fixture
def open_portal(browser, asgi_live_server):
    """open_portal(quota) -> a page in a fresh browser context, signed in by the quota's magic
    link, on the quota page with its cards drawn and its socket open. `stripe_js` answers the
    page's request for Stripe.js (https://js.stripe.com/v3/) in place of Stripe."""
    contexts = []

    def open_(quota: Quota, stripe_js=None):
        context = browser.new_context()
        contexts.append(context)
        if stripe_js is not None:
            context.route("https://js.stripe.com/**", stripe_js)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(asgi_live_server.url + urlsplit(magic_link_issue(quota=quota)).path)
        expect(page).to_have_url(f"{asgi_live_server.url}/portal/quotas/{quota.pk}/")
        wait_live(page)
        return page

    yield open_
    for context in contexts:
        context.close()


def wait_live(page):
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")


def card(page, seat_id, grid="#cards"):
    return page.locator(f"{grid} button.ticket-card[data-seat-id='{seat_id}']")


def fill_holder(page, index, *, first, last, born, nationality, oib="", passport=""):
    page.fill(f"#holder-{index}-first_name", first)
    page.fill(f"#holder-{index}-last_name", last)
    page.fill(f"#holder-{index}-date_of_birth", born)
    page.fill(f"#holder-{index}-nationality", nationality)
    if oib:
        page.fill(f"#holder-{index}-oib", oib)
    if passport:
        page.fill(f"#holder-{index}-passport_number", passport)



def test_a_holder_claims_and_pays_from_the_magic_link(open_portal, asgi_live_server):
    quota = make_quota(numbered_match(), quantity=3)
    first, second, third = seat_ids(quota)
    page = open_portal(quota)

    page.click("a.brand")  # the dashboard first: counts and seats
    item = page.locator(f".quota-item[data-quota-id='{quota.pk}']")
    expect(item.locator("[data-count=ALLOCATED]")).to_have_text("3")
    expect(item.locator(".seat-tag")).to_have_count(3)
    item.locator("a.button").click()
    wait_live(page)

    # Step 1: cards in a grid, click to select and to deselect, the summary follows.
    expect(page.locator("#cards button.ticket-card")).to_have_count(3)
    expect(card(page, first)).to_contain_text("Sector A")
    for seat in (first, second, third):
        card(page, seat).click()
    card(page, third).click()
    expect(card(page, third)).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#selection-summary")).to_contain_text("2 tickets selected")
    page.click("#to-holders")

    # Step 2: one holder per ticket; the API's errors appear next to their field.
    expect(page.locator("#holder-forms fieldset.holder")).to_have_count(2)
    fill_holder(page, 0, first="Ana", last="Horvat", born="1985-01-09", nationality="HR",
                oib="12345678901")
    fill_holder(page, 1, first="Max", last="Muster", born="1990-05-17", nationality="DE",
                passport="C01234567")
    page.click("#save-holders")
    expect(page.locator("#holder-0-oib-error")).to_be_visible()
    expect(page.locator("#holder-0-oib")).to_have_attribute("aria-invalid", "true")
    page.fill("#holder-0-oib", "69435151530")
    page.click("#save-holders")

    # Step 3: the amounts, then the demo payment.
    expect(page.locator("#step-payment")).to_be_visible()
    expect(page.locator("#amounts [data-amount=tickets]")).to_have_text("€80.00")
    expect(page.locator("#amounts [data-amount=total]")).to_have_text("€84.80")
    page.click("#pay-start")
    page.click("#pay-local")

    expect(page.locator("#done-message")).to_contain_text("SOLD")
    expect(page.locator("#issued-tickets li")).to_have_count(2)
    expect(page.locator("#quota-counts [data-count=SOLD]")).to_have_text("2")
    expect(card(page, first)).to_be_disabled()
    expect(card(page, third)).to_be_enabled()
    sold = QuotaSeat.objects.filter(quota=quota, status=QuotaSeatStatus.SOLD)
    assert sorted(sold.values_list("id", flat=True)) == [first, second]
    assert Ticket.objects.filter(quota_seat__in=sold).count() == 2
    tickets = page.locator("#issued-tickets li")
    assert {tickets.nth(i).get_attribute("data-ticket-id") for i in range(2)} == {
        str(t) for t in Ticket.objects.filter(quota_seat__in=sold).values_list("id", flat=True)}


def test_a_holder_sends_tickets_and_the_recipient_claims_them(open_portal):
    quota = make_quota(numbered_match(), quantity=4, discount_code="GR",
                       can_create_subquotas=True)
    first, second, *_ = seat_ids(quota)
    holder = open_portal(quota)

    holder.click("#send-open")
    expect(holder.locator("#send-cards button.ticket-card")).to_have_count(4)
    card(holder, first, "#send-cards").click()
    card(holder, second, "#send-cards").click()
    expect(holder.locator("#send-summary")).to_have_text("2 tickets to send.")
    holder.fill("#recipient-email", "not-an-email")
    holder.click("#send-submit")
    expect(holder.locator("#recipient-email-error")).to_have_text("Enter a valid email address.")
    holder.fill("#recipient-email", quota.recipient_email)  # to themselves: the API says no
    holder.click("#send-submit")
    expect(holder.locator("#recipient-email-error")).to_contain_text("claim them directly")
    holder.fill("#recipient-email", "guest@example.com")
    holder.click("#send-submit")

    expect(holder.locator("#send-result")).to_contain_text("Sent 2 tickets to guest@example.com")
    row = holder.locator("#subquota-list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text("Allocated")
    expect(holder.locator("#quota-counts [data-count=DELEGATED]")).to_have_text("2")
    expect(card(holder, first)).to_be_disabled()
    expect(card(holder, first)).to_contain_text("Sent to guest@example.com")

    # The sub-recipient, in their own browser, by the link of their email: a free claim.
    sub = Quota.objects.get(parent=quota)
    guest = open_portal(sub)
    expect(guest.locator("#send-open")).to_have_count(0)  # one level only
    expect(guest.locator("#cards button.ticket-card")).to_have_count(2)
    card(guest, first).click()
    card(guest, second).click()
    guest.click("#to-holders")
    fill_holder(guest, 0, first="Iva", last="Kovač", born="1992-03-04", nationality="HR",
                oib="69435151530")
    fill_holder(guest, 1, first="Jan", last="Novak", born="1991-07-08", nationality="SI",
                passport="PB1234567")
    guest.click("#save-holders")

    expect(guest.locator("#done-message")).to_contain_text("free of charge")
    expect(guest.locator("#issued-tickets li")).to_have_count(2)
    expect(guest.locator("#quota-status")).to_have_text("Sold")
    # The holder's page follows without a reload.
    expect(row.locator(".badge")).to_have_text("Sold", timeout=LIVE)
    expect(row.locator("button.retract")).to_have_count(0)
    sub.refresh_from_db()
    assert sub.status == QuotaStatus.SOLD


def test_a_holder_retracts_tickets_nobody_has_claimed(open_portal):
    quota = make_quota(numbered_match(), quantity=3, can_create_subquotas=True)
    first, *_ = seat_ids(quota)
    page = open_portal(quota)
    page.click("#send-open")
    card(page, first, "#send-cards").click()
    page.fill("#recipient-email", "later@example.com")
    page.click("#send-submit")
    row = page.locator("#subquota-list tbody tr")
    expect(row.locator(".badge")).to_have_text("Allocated")

    row.locator("button.retract").click()
    expect(row.locator("button.retract")).to_have_text("Confirm retract")
    row.locator("button.retract").click()

    expect(row.locator(".badge")).to_have_text("Retracted")
    expect(row.locator("button.retract")).to_have_count(0)
    expect(page.locator("#quota-counts [data-count=DELEGATED]")).to_have_text("0")
    expect(card(page, first)).to_be_enabled()
    assert Quota.objects.get(parent=quota).status == QuotaStatus.RETRACTED
    assert QuotaSeat.objects.get(pk=first).subquota_id is None


def test_two_windows_on_one_quota_stay_in_step_without_a_reload(open_portal, asgi_live_server):
    quota = make_quota(numbered_match(), quantity=3, deferred_payment=True)
    first, second, _ = seat_ids(quota)
    one = open_portal(quota)
    other = open_portal(quota)
    dashboard = other.context.new_page()
    dashboard.goto(f"{asgi_live_server.url}/portal/")
    wait_live(dashboard)
    sold_on_dashboard = dashboard.locator(f".quota-item[data-quota-id='{quota.pk}'] "
                                          "[data-count=SOLD]")
    expect(sold_on_dashboard).to_have_text("0")

    # The other window selected a card first: this one sees it taken within 2 seconds...
    card(other, second).click()
    expect(card(one, first)).to_be_enabled()
    card(one, first).click()
    one.click("#to-holders")
    # Each 2-second window starts once the acting page has its answer (the change committed).
    expect(one.locator("#holder-forms fieldset.holder")).to_have_count(1)
    expect(card(other, first)).to_be_disabled(timeout=LIVE)
    expect(card(other, first)).to_contain_text("In your claim")  # the same holder's claim
    expect(card(other, second)).to_have_attribute("aria-pressed", "true")  # its own choice stays

    # ...and its counts follow every step of the claim.
    fill_holder(one, 0, first="Ana", last="Horvat", born="1985-01-09", nationality="HR",
                oib="69435151530")
    one.click("#save-holders")
    expect(one.locator("#step-payment")).to_be_visible()
    expect(other.locator("#quota-counts [data-count=RESERVED]")).to_have_text("1", timeout=LIVE)
    one.click("#pay-start")  # deferred payment: "pay later" completes the claim
    expect(one.locator("#done-message")).to_contain_text("to be paid later")
    expect(other.locator("#quota-counts [data-count=SOLD]")).to_have_text("1", timeout=LIVE)
    expect(sold_on_dashboard).to_have_text("1", timeout=LIVE)


def test_a_claim_begun_in_one_browser_continues_in_another(open_portal):
    quota = make_quota(numbered_match(), quantity=2)
    first, _ = seat_ids(quota)
    page = open_portal(quota)
    card(page, first).click()
    page.click("#to-holders")
    expect(page.locator("#holder-forms fieldset.holder")).to_have_count(1)

    other = open_portal(quota)  # a new context: nothing in its session storage

    expect(other.locator("#holder-forms fieldset.holder")).to_have_count(1)
    expect(other.locator("#step-holders")).to_be_visible()


# Stripe.js as documented (Stripe(key), elements({clientSecret}), create("payment").mount(),
# confirmPayment({elements, redirect, confirmParams}) -> {error} or {paymentIntent}), recording
# what the page asks of it. window.stripeStub.decline makes the next confirmation fail.
STRIPE_JS = """
window.stripeStub = {calls: [], decline: null};
window.Stripe = function (key) {
  const calls = window.stripeStub.calls;
  calls.push(["Stripe", key]);
  return {
    elements(options) {
      calls.push(["elements", options.clientSecret]);
      return {create(type) {
        calls.push(["create", type]);
        return {mount(selector) {
          calls.push(["mount", selector]);
          const field = document.createElement("div");
          field.className = "stub-payment-element";
          document.querySelector(selector).append(field);
        }};
      }};
    },
    async confirmPayment(options) {
      calls.push(["confirmPayment", options.redirect, Boolean(options.elements)]);
      const decline = window.stripeStub.decline;
      window.stripeStub.decline = null;
      return decline ? {error: {type: "card_error", message: decline}}
                     : {paymentIntent: {status: "succeeded"}};
    },
  };
};
"""


def serve_stripe_js(route):
    route.fulfill(status=200, content_type="application/javascript", body=STRIPE_JS)


def claim_two_and_open_payment(page, quota):
    first, second, _ = seat_ids(quota)
    card(page, first).click()
    card(page, second).click()
    page.click("#to-holders")
    fill_holder(page, 0, first="Ana", last="Horvat", born="1985-01-09", nationality="HR",
                oib="69435151530")
    fill_holder(page, 1, first="Max", last="Muster", born="1990-05-17", nationality="DE",
                passport="C01234567")
    page.click("#save-holders")
    expect(page.locator("#step-payment")).to_be_visible()
    page.click("#pay-start")


@pytest.mark.usefixtures("stripe_server")
def test_a_holder_pays_by_card_with_the_payment_element(open_portal, asgi_live_server, settings):
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_portal"
    quota = make_quota(numbered_match(), quantity=3)
    page = open_portal(quota, stripe_js=serve_stripe_js)
    claim_two_and_open_payment(page, quota)

    # The Payment Element is mounted with the intent the server created on Stripe.
    expect(page.locator("#stripe-box")).to_be_visible()
    expect(page.locator("#payment-element .stub-payment-element")).to_have_count(1)
    expect(page.locator("#pay-local-box")).to_be_hidden()
    payment = Payment.objects.get()  # its intent and client secret come from the Stripe server
    assert payment.client_secret.startswith(f"{payment.provider_payment_id}_secret_")
    assert page.evaluate("window.stripeStub.calls") == [
        ["Stripe", "pk_test_portal"], ["elements", payment.client_secret], ["create", "payment"],
        ["mount", "#payment-element"]]

    # A declined card: Stripe's message, and the button works again.
    page.evaluate("window.stripeStub.decline = 'Your card was declined.'")
    page.click("#stripe-submit")
    expect(page.locator("#payment-error")).to_have_text("Your card was declined.")
    expect(page.locator("#payment-status")).to_be_hidden()
    expect(page.locator("#stripe-submit")).to_be_enabled()

    # Confirmed: the page waits for the webhook, which completes the claim; the live socket
    # brings the tickets without a reload.
    page.click("#stripe-submit")
    expect(page.locator("#payment-status")).to_have_text("Payment received; issuing your tickets…")
    expect(page.locator("#payment-error")).to_be_hidden()
    assert page.evaluate("window.stripeStub.calls.filter(c => c[0] === 'confirmPayment')") == [
        ["confirmPayment", "if_required", True]] * 2
    body = intent_event("payment_intent.succeeded", payment, status="succeeded")
    webhook = urllib.request.Request(
        f"{asgi_live_server.url}/api/webhooks/stripe", data=body, method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)})
    with urllib.request.urlopen(webhook, timeout=10) as response:
        assert response.status == 200

    expect(page.locator("#done-message")).to_contain_text("(paid)")
    expect(page.locator("#issued-tickets li")).to_have_count(2)
    expect(page.locator("#quota-counts [data-count=SOLD]")).to_have_text("2")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert QuotaSeat.objects.filter(quota=quota, status=QuotaSeatStatus.SOLD).count() == 2


@pytest.mark.usefixtures("stripe_server")
def test_card_payment_says_so_when_stripe_js_cannot_load(open_portal, settings):
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_portal"
    quota = make_quota(numbered_match(), quantity=3)
    page = open_portal(quota, stripe_js=lambda route: route.abort())
    claim_two_and_open_payment(page, quota)

    expect(page.locator("#payment-error")).to_have_text(
        "Card payments are unavailable right now; please try again later.")
    expect(page.locator("#stripe-box")).to_be_hidden()
