// Quota portal, one quota: the 3-step claim (tickets as cards → holders → payment), sending
// tickets to someone else, the sent tickets with retraction, and live sync. Every action is a
// call to the JSON API; after any change (here or elsewhere) the quota is read again from
// GET /api/quota-portal/quotas/<id> and re-rendered.
(function () {
  "use strict";
  const { api, live, debounce, show, message } = window.Portal;
  const config = JSON.parse(document.getElementById("portal-config").textContent);
  const $ = (id) => document.getElementById(id);
  const STORAGE_KEY = `quota-claim-${config.quotaId}`;
  const money = new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" });
  const STATUS_LABELS = {
    ACTIVE: "Active", FULLY_CLAIMED: "Fully claimed", ALLOCATED: "Allocated",
    RESERVED: "Reserved", SOLD: "Sold", RETRACTED: "Retracted", CANCELLED: "Cancelled",
  };

  let quota = config.quota;
  const numbered = quota.match.is_numbered;
  const selected = new Set(); // seat ids chosen for the claim
  const toSend = new Set(); // seat ids chosen for a subquota
  let claim = loadClaim(); // {claim_id, step, quantity, seat_ids, …} of this tab's claim
  let view = "select";
  let people = null; // {profile, saved} for the holder forms, read once
  let confirmingRetract = null; // the subquota whose "Retract" was pressed once

  // --- small helpers ------------------------------------------------------------------------

  function loadClaim() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
    } catch (error) {
      return null;
    }
  }

  function saveClaim(value) {
    claim = value;
    if (value) window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
    else window.sessionStorage.removeItem(STORAGE_KEY);
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === undefined || value === null || value === false) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    children.flat().forEach((child) => {
      if (child !== null && child !== undefined) node.append(child);
    });
    return node;
  }

  function seatLabel(card) {
    return `${card.sector} · Row ${card.row} · Seat ${card.seat}`;
  }

  function cardById(id) {
    return (quota.seats || []).find((card) => card.id === id);
  }

  // The config's URLs carry 0 where an id goes ("/api/orders/0", "/claims/0/pay-local").
  function withId(url, id) {
    return url.replace(/\/0(?=\/|$)/, `/${id}`);
  }

  function errorText(data) {
    return (data && data.detail) || "Something went wrong; please try again.";
  }

  // --- rendering ----------------------------------------------------------------------------

  function renderSummary() {
    const badge = $("quota-status");
    badge.textContent = STATUS_LABELS[quota.status] || quota.status;
    badge.className = `badge status-${quota.status.toLowerCase()}`;
    document.querySelectorAll("#quota-counts [data-count]").forEach((node) => {
      node.textContent = quota.counts[node.dataset.count] ?? 0;
    });
    const expiry = $("quota-expiry");
    if (quota.expires_at) {
      const when = new Date(quota.expires_at).toLocaleString("en-GB", {
        weekday: "short", day: "numeric", month: "short", year: "numeric",
        hour: "2-digit", minute: "2-digit",
      });
      const lead = { past: "Claim date passed:", soon: "Claim soon:" }[quota.expiry_state]
        || "Please claim by";
      expiry.textContent = `${lead} ${when}`;
      expiry.dataset.expiry = quota.expiry_state;
      expiry.hidden = false;
    }
  }

  // A card for the claim grid: selectable ones are toggle buttons.
  function claimCard(card) {
    let note = "";
    if (card.status === "DELEGATED") note = `Sent to ${card.delegated_to}`;
    else if (card.status === "SOLD") note = "Claimed";
    else if (card.mine) note = "In your claim";
    else if (card.claim_id || card.status === "RESERVED") note = "Being claimed";
    const isSelected = selected.has(card.id);
    return el("button", {
      type: "button", class: `ticket-card status-${card.status.toLowerCase()}${isSelected ? " selected" : ""}`,
      "data-seat-id": String(card.id), "aria-pressed": isSelected ? "true" : "false",
      disabled: !card.selectable, "aria-label": `${seatLabel(card)}${note ? ", " + note : ""}`,
    },
    el("span", { class: "card-sector", text: `Sector ${card.sector}` }),
    el("span", { class: "card-row", text: `Row ${card.row}` }),
    el("span", { class: "card-seat", text: `Seat ${card.seat}` }),
    note ? el("span", { class: "card-note", text: note }) : null);
  }

  function renderCards() {
    const grid = $("cards");
    if (grid) {
      // Forget selections taken meanwhile (claimed in another window, sent, sold).
      let dropped = 0;
      selected.forEach((id) => {
        const card = cardById(id);
        if (!card || !card.selectable) {
          selected.delete(id);
          dropped += 1;
        }
      });
      grid.replaceChildren(...(quota.seats || []).map(claimCard));
      if (dropped) message($("select-error"), `${dropped} of the tickets you selected were just taken elsewhere.`);
    } else {
      const input = $("claim-quantity");
      input.max = String(Math.max(1, quota.available_to_claim));
      $("claim-available").textContent = `${quota.available_to_claim} available`;
    }
    renderSelection();
  }

  function renderSelection() {
    const button = $("to-holders");
    let count;
    if (numbered) {
      count = selected.size;
      const labels = [...selected].map((id) => cardById(id)).filter(Boolean).map(seatLabel);
      $("selection-summary").textContent = count
        ? `${count} ticket${count === 1 ? "" : "s"} selected: ${labels.join(", ")}`
        : "No tickets selected.";
    } else {
      count = Number($("claim-quantity").value) || 0;
      const ok = count >= 1 && count <= quota.available_to_claim;
      $("selection-summary").textContent = ok
        ? `${count} ticket${count === 1 ? "" : "s"} to claim.`
        : `Choose between 1 and ${quota.available_to_claim}.`;
      if (!ok) count = 0;
    }
    $("selection-summary").dataset.count = String(count);
    button.disabled = count === 0;
    const nothing = quota.available_to_claim === 0 && view === "select";
    show($("nothing-left"), nothing);
  }

  function renderSendCards() {
    const grid = $("send-cards");
    if (!grid) {
      const input = $("send-quantity");
      if (input) input.max = String(Math.max(1, quota.available_to_claim));
      renderSendSummary();
      return;
    }
    const free = (quota.seats || []).filter((card) => card.selectable);
    toSend.forEach((id) => {
      if (!free.some((card) => card.id === id)) toSend.delete(id);
    });
    grid.replaceChildren(...free.map((card) => el("button", {
      type: "button", class: `ticket-card${toSend.has(card.id) ? " selected" : ""}`,
      "data-seat-id": String(card.id), "aria-pressed": toSend.has(card.id) ? "true" : "false",
      "aria-label": seatLabel(card),
    },
    el("span", { class: "card-sector", text: `Sector ${card.sector}` }),
    el("span", { class: "card-row", text: `Row ${card.row}` }),
    el("span", { class: "card-seat", text: `Seat ${card.seat}` }))));
    if (!free.length) grid.append(el("p", { class: "empty", text: "No tickets left to send." }));
    renderSendSummary();
  }

  function renderSendSummary() {
    const summary = $("send-summary");
    if (!summary) return;
    const count = numbered ? toSend.size : Number($("send-quantity").value) || 0;
    summary.textContent = count ? `${count} ticket${count === 1 ? "" : "s"} to send.` : "Select the tickets to send.";
  }

  function renderSubquotas() {
    const table = $("subquota-list");
    if (!table) return;
    const rows = (quota.subquotas || []).map((sub) => {
      const confirming = confirmingRetract === sub.id;
      const retract = sub.can_retract
        ? el("button", { type: "button", class: "retract link-button", "data-subquota-id": String(sub.id), "data-confirming": confirming ? "1" : "0", text: confirming ? "Confirm retract" : "Retract" })
        : null;
      return el("tr", { "data-subquota-id": String(sub.id), "data-status": sub.status },
        el("td", {}, el("span", { class: "recipient", text: sub.recipient_email }),
          sub.recipient_name ? el("span", { class: "help", text: ` (${sub.recipient_name})` }) : null),
        el("td", { class: "num", text: String(sub.quantity) }),
        el("td", {}, el("span", { class: `badge status-${sub.status.toLowerCase()}`, text: STATUS_LABELS[sub.status] || sub.status })),
        el("td", {}, retract));
    });
    table.querySelector("tbody").replaceChildren(...rows);
    show(table, rows.length > 0);
    show($("no-subquotas"), rows.length === 0);
  }

  function renderAll() {
    renderSummary();
    renderCards();
    renderSendCards();
    renderSubquotas();
  }

  async function refresh() {
    const result = await api("GET", config.api.quota);
    if (!result.ok) return;
    quota = result.data;
    renderAll();
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
  }

  // --- steps ----------------------------------------------------------------------------------

  function showStep(name) {
    view = name;
    ["select", "holders", "payment", "done"].forEach((step) => show($(`step-${step}`), step === name));
    document.querySelectorAll("#steps li").forEach((item) => {
      if (item.dataset.step === name) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    });
    renderSelection();
    const heading = $(`step-${name}`);
    if (heading && name !== "select") heading.scrollIntoView({ block: "nearest" });
  }

  // Step 1: select seats (or a quantity); a second press while still at step 1 changes it.
  async function submitSelection() {
    message($("select-error"), "");
    const body = numbered ? { seat_ids: [...selected] } : { quantity: Number($("claim-quantity").value) };
    if (claim && claim.step === "SEATS_SELECTED") body.claim_id = claim.claim_id;
    $("to-holders").disabled = true;
    let result = await api("POST", config.api.select, body);
    if (!result.ok && body.claim_id && ["claim_not_active", "claim_not_found", "claim_wrong_step"].includes(result.data.error)) {
      delete body.claim_id; // the old claim lapsed or moved on: start a new one
      result = await api("POST", config.api.select, body);
    }
    $("to-holders").disabled = false;
    if (!result.ok) {
      message($("select-error"), errorText(result.data));
      await refresh();
      return;
    }
    saveClaim(result.data);
    selected.clear();
    await refresh();
    await openHolders();
  }

  async function loadPeople() {
    if (people) return people;
    const [profile, saved] = await Promise.all([api("GET", config.api.profile), api("GET", config.api.savedProfiles)]);
    people = {
      profile: profile.ok && profile.data.is_complete ? profile.data : null,
      saved: saved.ok && Array.isArray(saved.data) ? saved.data : [],
    };
    return people;
  }

  function field(index, name, label, attrs) {
    const id = `holder-${index}-${name}`;
    return el("div", { class: `field field-${name}` },
      el("label", { for: id, text: label }),
      el("input", { id, name, "aria-describedby": `${id}-error`, ...attrs }),
      el("span", { class: "field-error", id: `${id}-error`, hidden: true }));
  }

  function holderForm(index, seatCard) {
    const hasProfile = Boolean(people.profile);
    const source = hasProfile && index === 0 ? "me" : "manual";
    const radio = (value, label, disabled) => el("label", { class: "radio" },
      el("input", { type: "radio", name: `holder-${index}-source`, value, checked: value === source, disabled }),
      ` ${label}`);
    const savedSelect = el("select", { id: `holder-${index}-saved`, "aria-label": "Saved profile" },
      ...people.saved.map((p) => el("option", { value: String(p.id), text: `${p.first_name} ${p.last_name}` })));
    const manual = el("div", { class: "manual-fields" },
      field(index, "first_name", "First name", { autocomplete: "off", maxlength: "100" }),
      field(index, "last_name", "Last name", { autocomplete: "off", maxlength: "100" }),
      field(index, "date_of_birth", "Date of birth", { type: "date" }),
      field(index, "nationality", "Nationality (2 letters)", { maxlength: "2", placeholder: "HR", value: "HR" }),
      field(index, "oib", "OIB", { inputmode: "numeric", maxlength: "11" }),
      field(index, "passport_number", "Passport number", { maxlength: "40" }),
      field(index, "email", "Email (optional)", { type: "email" }));
    const fieldset = el("fieldset", { class: "holder", "data-index": String(index) },
      el("legend", { text: `Ticket ${index + 1}${seatCard ? " · " + seatLabel(seatCard) : ""}` }),
      el("div", { class: "sources" },
        radio("me", hasProfile ? "Me (my profile)" : "Me (complete your profile in the app first)", !hasProfile),
        people.saved.length ? radio("saved", "A saved profile") : null,
        radio("manual", "Enter details")),
      el("div", { class: "saved-choice" }, savedSelect),
      manual,
      el("span", { class: "field-error", id: `holder-${index}-use_my_profile-error`, hidden: true }),
      el("span", { class: "field-error", id: `holder-${index}-saved_profile_id-error`, hidden: true }));
    const sync = () => {
      const chosen = fieldset.querySelector(`input[name=holder-${index}-source]:checked`).value;
      show(manual, chosen === "manual");
      show(fieldset.querySelector(".saved-choice"), chosen === "saved");
      const croatian = fieldset.querySelector("[name=nationality]").value.trim().toUpperCase() === "HR";
      show(fieldset.querySelector(".field-oib"), croatian);
      show(fieldset.querySelector(".field-passport_number"), !croatian);
    };
    fieldset.addEventListener("change", sync);
    fieldset.addEventListener("input", sync);
    sync();
    return fieldset;
  }

  async function openHolders() {
    await loadPeople();
    const cards = (claim.seat_ids || []).map(cardById);
    const forms = [];
    for (let i = 0; i < claim.quantity; i += 1) forms.push(holderForm(i, cards[i]));
    $("holder-forms").replaceChildren(...forms);
    message($("holders-error"), "");
    showStep("holders");
    const first = $("holder-forms").querySelector("input:not([disabled])");
    if (first) first.focus();
  }

  function clearFieldErrors(root) {
    root.querySelectorAll(".field-error").forEach((node) => message(node, ""));
    root.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  function fieldError(id, text) {
    const node = $(`${id}-error`);
    if (!node) return false;
    message(node, text);
    const input = $(id);
    if (input) input.setAttribute("aria-invalid", "true");
    return true;
  }

  // One holder per ticket from the forms; client-side checks first (the API checks again).
  function collectHolders() {
    let valid = true;
    const holders = [...document.querySelectorAll("#holder-forms fieldset.holder")].map((fieldset) => {
      const index = Number(fieldset.dataset.index);
      const source = fieldset.querySelector(`input[name=holder-${index}-source]:checked`).value;
      if (source === "me") return { use_my_profile: true };
      if (source === "saved") return { saved_profile_id: Number($(`holder-${index}-saved`).value) };
      const value = (name) => $(`holder-${index}-${name}`).value.trim();
      const holder = {
        first_name: value("first_name"), last_name: value("last_name"),
        date_of_birth: value("date_of_birth"), nationality: value("nationality").toUpperCase(),
      };
      const fail = (name, text) => {
        fieldError(`holder-${index}-${name}`, text);
        valid = false;
      };
      ["first_name", "last_name", "date_of_birth"].forEach((name) => {
        if (!holder[name]) fail(name, "Required.");
      });
      if (!/^[A-Z]{2}$/.test(holder.nationality)) fail("nationality", "Two letters, e.g. HR.");
      if (holder.nationality === "HR") {
        holder.oib = value("oib");
        if (!/^\d{11}$/.test(holder.oib)) fail("oib", "An OIB has 11 digits.");
      } else {
        holder.passport_number = value("passport_number");
        if (!holder.passport_number) fail("passport_number", "Required for non-Croatian citizens.");
      }
      const email = $(`holder-${index}-email`);
      if (email.value.trim()) {
        if (!email.checkValidity()) fail("email", "Enter a valid email address.");
        holder.email = email.value.trim();
      }
      return holder;
    });
    return valid ? holders : null;
  }

  // Field paths from the API look like "holders[1].oib" (or "holders.1.oib" from DRF).
  function showApiErrors(data, generalNode) {
    let placed = false;
    Object.entries(data.fields || {}).forEach(([path, messages]) => {
      const match = path.match(/^holders(?:\[(\d+)\]|\.(\d+))\.(\w+)$/);
      if (match) placed = fieldError(`holder-${match[1] ?? match[2]}-${match[3]}`, messages[0]) || placed;
    });
    message(generalNode, placed ? "Please correct the highlighted fields." : errorText(data));
  }

  async function submitHolders(event) {
    event.preventDefault();
    const form = $("step-holders");
    clearFieldErrors(form);
    message($("holders-error"), "");
    const holders = collectHolders();
    if (!holders) {
      message($("holders-error"), "Please correct the highlighted fields.");
      return;
    }
    $("save-holders").disabled = true;
    const result = await api("POST", config.api.holders, { claim_id: claim.claim_id, holders });
    $("save-holders").disabled = false;
    if (!result.ok) {
      if (["claim_not_active", "claim_not_found"].includes(result.data.error)) {
        saveClaim(null);
        message($("select-error"), errorText(result.data));
        showStep("select");
        await refresh();
        return;
      }
      showApiErrors(result.data, $("holders-error"));
      return;
    }
    saveClaim(result.data);
    if (result.data.status === "COMPLETED") await openDone();
    else openPayment();
  }

  function openPayment() {
    const rows = [
      ["Tickets", claim.ticket_amount], ["Service fee", claim.fee_amount],
      ["of which VAT", (Number(claim.ticket_vat_amount) + Number(claim.fee_vat_amount)).toFixed(2)],
      ["Total", claim.total_amount],
    ];
    $("amounts").replaceChildren(...rows.map(([label, amount]) => el("div", { class: label === "Total" ? "total" : "" },
      el("dt", { text: label }), el("dd", { "data-amount": label.toLowerCase().replace(/ /g, "-"), text: money.format(Number(amount || 0)) }))));
    message($("payment-error"), "");
    message($("payment-status"), "");
    show($("pay-start"), true);
    show($("pay-local-box"), false);
    show($("stripe-box"), false);
    showStep("payment");
  }

  async function startPayment() {
    message($("payment-error"), "");
    $("pay-start").disabled = true;
    const result = await api("POST", config.api.payment, { claim_id: claim.claim_id });
    $("pay-start").disabled = false;
    if (!result.ok) {
      message($("payment-error"), errorText(result.data));
      return;
    }
    saveClaim(result.data);
    if (result.data.status === "COMPLETED") {
      await openDone();
      return;
    }
    const payment = result.data.payment || {};
    show($("pay-start"), false);
    if (payment.provider === "local") show($("pay-local-box"), true);
    else mountStripe(payment.client_secret);
  }

  async function payLocal() {
    message($("payment-error"), "");
    $("pay-local").disabled = true;
    const result = await api("POST", withId(config.api.payLocal, claim.claim_id));
    $("pay-local").disabled = false;
    if (!result.ok) {
      message($("payment-error"), errorText(result.data));
      return;
    }
    saveClaim(result.data);
    if (result.data.status === "COMPLETED") await openDone();
    else if (result.data.payment_status === "FAILED") message($("payment-error"), "The payment failed; you can try again.");
    else message($("payment-status"), "The payment is being processed.");
  }

  // Stripe: the Payment Element with the claim's client secret; the webhook completes the
  // claim and the socket tells this page (seats_sold for our claim).
  let stripe = null;
  let elements = null;
  function mountStripe(clientSecret) {
    if (!window.Stripe || !config.stripePublishableKey) {
      message($("payment-error"), "Card payments are unavailable right now; please try again later.");
      return;
    }
    stripe = stripe || window.Stripe(config.stripePublishableKey);
    elements = stripe.elements({ clientSecret });
    elements.create("payment").mount("#payment-element");
    show($("stripe-box"), true);
  }

  async function payStripe() {
    $("stripe-submit").disabled = true;
    const { error } = await stripe.confirmPayment({
      elements, redirect: "if_required", confirmParams: { return_url: window.location.href },
    });
    $("stripe-submit").disabled = false;
    message($("payment-error"), error ? error.message : "");
    message($("payment-status"), error ? "" : "Payment received; issuing your tickets…");
  }

  async function openDone() {
    const labels = { PAID: "paid", FREE: "free of charge", DEFERRED: "to be paid later" };
    $("done-message").textContent = `Your ${claim.quantity} ticket${claim.quantity === 1 ? " is" : "s are"} issued (${labels[claim.payment_status] || "done"}). Status: SOLD.`;
    $("issued-tickets").replaceChildren();
    if (claim.order_id) {
      const order = await api("GET", withId(config.api.order, claim.order_id));
      if (order.ok) {
        const items = new Map(order.data.items.map((item) => [item.id, item]));
        $("issued-tickets").replaceChildren(...order.data.tickets.map((ticket) => {
          const item = items.get(ticket.order_item_id) || {};
          const place = item.row ? `${item.sector} · Row ${item.row} · Seat ${item.seat}` : `Sector ${item.sector || ""}`;
          return el("li", { "data-ticket-id": String(ticket.id) },
            el("strong", { text: `Ticket #${ticket.id}` }), ` ${place} — ${ticket.holder_name} `,
            el("span", { class: "badge status-sold", text: "SOLD" }));
        }));
        $("done-message").dataset.order = order.data.number;
      }
    }
    showStep("done");
    await refresh();
  }

  // --- delegation ----------------------------------------------------------------------------

  const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  async function submitSend(event) {
    event.preventDefault();
    const email = $("recipient-email");
    message($("recipient-email-error"), "");
    message($("send-error"), "");
    email.removeAttribute("aria-invalid");
    const address = email.value.trim();
    if (!address || !email.checkValidity() || !EMAIL.test(address)) {
      fieldError("recipient-email", "Enter a valid email address.");
      email.focus();
      return;
    }
    const body = { recipient_email: address, recipient_name: $("recipient-name").value.trim() };
    if (numbered) {
      if (!toSend.size) {
        message($("send-error"), "Select at least one ticket to send.");
        return;
      }
      body.seat_ids = [...toSend];
    } else {
      body.quantity = Number($("send-quantity").value);
    }
    $("send-submit").disabled = true;
    const result = await api("POST", config.api.subquotas, body);
    $("send-submit").disabled = false;
    if (!result.ok) {
      const emailError = (result.data.fields || {}).recipient_email;
      if (emailError) fieldError("recipient-email", emailError[0]);
      else message($("send-error"), errorText(result.data));
      await refresh();
      return;
    }
    toSend.clear();
    $("send-panel").reset();
    closeSend();
    message($("send-result"), `Sent ${result.data.quantity} ticket${result.data.quantity === 1 ? "" : "s"} to ${result.data.recipient_email}. They will get an email with a link.`);
    await refresh();
  }

  function openSend() {
    show($("send-panel"), true);
    $("send-open").setAttribute("aria-expanded", "true");
    message($("send-result"), "");
    renderSendCards();
  }

  function closeSend() {
    show($("send-panel"), false);
    $("send-open").setAttribute("aria-expanded", "false");
  }

  // Retract asks once more inline ("Confirm retract") instead of a modal dialog; the question
  // survives live re-renders of the list.
  async function retract(button) {
    const id = Number(button.dataset.subquotaId);
    if (confirmingRetract !== id) {
      confirmingRetract = id;
      renderSubquotas();
      return;
    }
    confirmingRetract = null;
    message($("retract-error"), "");
    button.disabled = true;
    const result = await api("DELETE", withId(config.api.subquota, id));
    if (!result.ok) message($("retract-error"), errorText(result.data));
    await refresh();
  }

  // --- wiring -------------------------------------------------------------------------------

  function toggle(set, render) {
    return (event) => {
      const card = event.target.closest("button.ticket-card");
      if (!card || card.disabled) return;
      const id = Number(card.dataset.seatId);
      if (set.has(id)) set.delete(id);
      else set.add(id);
      render();
    };
  }

  if ($("cards")) $("cards").addEventListener("click", toggle(selected, renderCards));
  if ($("claim-quantity")) $("claim-quantity").addEventListener("input", renderSelection);
  $("to-holders").addEventListener("click", submitSelection);
  $("step-holders").addEventListener("submit", submitHolders);
  $("holders-back").addEventListener("click", () => showStep("select"));
  $("pay-start").addEventListener("click", startPayment);
  if ($("pay-local")) $("pay-local").addEventListener("click", payLocal);
  if ($("stripe-submit")) $("stripe-submit").addEventListener("click", payStripe);
  $("claim-more").addEventListener("click", () => {
    saveClaim(null);
    showStep("select");
  });
  if ($("send-open")) {
    $("send-open").addEventListener("click", () => ($("send-panel").hidden ? openSend() : closeSend()));
    $("send-cancel").addEventListener("click", closeSend);
    $("send-panel").addEventListener("submit", submitSend);
    if ($("send-cards")) $("send-cards").addEventListener("click", toggle(toSend, renderSendCards));
    if ($("send-quantity")) $("send-quantity").addEventListener("input", renderSendSummary);
    $("subquota-list").addEventListener("click", (event) => {
      const button = event.target.closest("button.retract");
      if (button) retract(button);
    });
  }

  const refreshSoon = debounce(refresh, 150);
  async function onChange(event) {
    // A card payment completes through the webhook: show the tickets when our claim sells,
    // reading the claim again for the order the webhook created.
    if (claim && view === "payment" && event.event === "seats_sold" && event.claim_id === claim.claim_id) {
      const result = await api("GET", withId(config.api.claim, claim.claim_id));
      saveClaim(result.ok ? result.data : { ...claim, status: "COMPLETED", payment_status: "PAID" });
      await openDone();
      return;
    }
    refreshSoon();
  }

  // A claim begun earlier continues where it stopped: this tab's, else the holder's latest live
  // claim on this quota (begun in another tab or browser; the API says if it lapsed).
  async function resume() {
    if (!claim && (quota.my_claims || []).length) {
      const result = await api("GET", withId(config.api.claim, quota.my_claims[0]));
      if (result.ok) saveClaim(result.data);
    }
    if (claim && claim.status === "ACTIVE") {
      if (claim.step === "SEATS_SELECTED" || claim.step === "HOLDERS_SAVED") openHolders();
      else openPayment();
    } else {
      saveClaim(null);
      showStep("select");
    }
  }

  renderAll();
  resume();
  live(config.socket, onChange, $("live-status"));
})();
