// Match seat map (admin): draws a sector's seats as SVG circles coloured by status, selects
// them by click or drag-box, and changes their status through the inventory API.
(function () {
  "use strict";
  // Choosing a sector reloads the page for it (no inline handler: the CSP allows none).
  const sectorSelect = document.getElementById("sector-select");
  if (sectorSelect) sectorSelect.addEventListener("change", () => sectorSelect.form.submit());
  const config = JSON.parse(document.getElementById("seat-map-config").textContent);
  const svg = document.getElementById("seat-map");
  if (!svg || !config.sectorId) return;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const LABEL_WIDTH = 1; // one grid column on the left for row labels
  const legend = document.getElementById("seat-legend");
  const form = document.getElementById("seat-apply");
  const result = document.getElementById("seat-apply-result");
  const selectedCount = document.getElementById("selected-count");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  let seats = config.seats;
  const selected = new Set();

  function el(name, attrs) {
    const node = document.createElementNS(SVG_NS, name);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  }

  function draw() {
    svg.replaceChildren();
    const maxCol = Math.max(0, ...seats.map((s) => s.grid_col));
    const maxRow = Math.max(0, ...seats.map((s) => s.grid_row));
    svg.setAttribute("viewBox", `0 0 ${maxCol + 1 + LABEL_WIDTH} ${maxRow + 1}`);
    const labelled = new Set();
    seats.forEach((seat) => {
      if (!labelled.has(seat.grid_row)) {
        labelled.add(seat.grid_row);
        const label = el("text", { x: 0.2, y: seat.grid_row + 0.68, class: "row-label" });
        label.textContent = seat.row_label;
        svg.appendChild(label);
      }
      const circle = el("circle", {
        cx: seat.grid_col + LABEL_WIDTH + 0.5, cy: seat.grid_row + 0.5, r: 0.4,
        fill: config.colors[seat.status], class: "seat" + (selected.has(seat.id) ? " selected" : ""),
        "data-id": seat.id, "data-status": seat.status,
      });
      const title = el("title");
      title.textContent = `Row ${seat.row_label} seat ${seat.seat_number}: ${seat.status}`;
      circle.appendChild(title);
      svg.appendChild(circle);
    });
    drawLegend();
    selectedCount.textContent = selected.size;
  }

  function drawLegend() {
    const counts = {};
    seats.forEach((s) => { counts[s.status] = (counts[s.status] || 0) + 1; });
    legend.replaceChildren();
    config.statuses.forEach((status) => {
      const li = document.createElement("li");
      li.dataset.status = status;
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = config.colors[status];
      const name = document.createElement("span");
      name.textContent = status;
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = counts[status] || 0;
      li.append(swatch, name, count);
      legend.appendChild(li);
    });
  }

  function point(event) {
    const p = svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }

  function markSelection() {
    svg.querySelectorAll("circle.seat").forEach((c) => {
      c.classList.toggle("selected", selected.has(Number(c.dataset.id)));
    });
    selectedCount.textContent = selected.size;
  }

  let start = null;
  let box = null;
  svg.addEventListener("mousedown", (event) => {
    start = point(event);
    start.shift = event.shiftKey;
    start.target = event.target.closest("circle.seat");
  });
  svg.addEventListener("mousemove", (event) => {
    if (!start) return;
    const p = point(event);
    if (!box && Math.hypot(p.x - start.x, p.y - start.y) < 0.3) return;
    if (!box) { box = el("rect", { class: "selection-box" }); svg.appendChild(box); }
    box.setAttribute("x", Math.min(p.x, start.x));
    box.setAttribute("y", Math.min(p.y, start.y));
    box.setAttribute("width", Math.abs(p.x - start.x));
    box.setAttribute("height", Math.abs(p.y - start.y));
  });
  window.addEventListener("mouseup", (event) => {
    if (!start) return;
    if (box) {
      const p = point(event);
      const [x0, x1] = [Math.min(p.x, start.x), Math.max(p.x, start.x)];
      const [y0, y1] = [Math.min(p.y, start.y), Math.max(p.y, start.y)];
      if (!start.shift) selected.clear();
      seats.forEach((s) => {
        const cx = s.grid_col + LABEL_WIDTH + 0.5;
        const cy = s.grid_row + 0.5;
        if (cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1) selected.add(s.id);
      });
      box.remove();
      box = null;
    } else if (start.target) {
      const id = Number(start.target.dataset.id);
      if (selected.has(id)) selected.delete(id); else selected.add(id);
    }
    start = null;
    markSelection();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { selected.clear(); markSelection(); }
  });
  document.getElementById("clear-selection").addEventListener("click", () => {
    selected.clear();
    markSelection();
  });

  async function call(url, method, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || `HTTP ${response.status}`);
    return data;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function applyStatus(ids, status, reason) {
    if (ids.length === 1) {
      const seat = await call(config.singleUrl.replace("/0/status", `/${ids[0]}/status`), "PUT",
        { status, reason });
      return { changed: 1, skipped: [], warning: seat.warning };
    }
    let job = await call(config.bulkUrl, "POST",
      { match_id: config.matchId, status, reason, seat_ids: ids });
    const jobUrl = config.jobUrl.replace(/\/0$/, `/${job.id}`);
    for (;;) {
      job = await call(jobUrl, "GET");
      if (job.status === "DONE" || job.status === "FAILED") break;
      result.textContent = `Working… ${job.processed} of ${job.total}`;
      await sleep(400);
    }
    if (job.status === "FAILED") throw new Error(job.error_message || "The bulk change failed.");
    return { changed: job.changed, skipped: job.skipped };
  }

  async function reload() {
    const url = `${config.dataUrl}?sector=${encodeURIComponent(config.sectorId)}`;
    const response = await fetch(url, { credentials: "same-origin" });
    seats = (await response.json()).seats;
    draw();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.className = "seat-apply-result";
    const ids = [...selected];
    const status = form.elements.status.value;
    const reason = form.elements.reason.value.trim();
    if (!ids.length || !reason) {
      result.className += " error";
      result.textContent = ids.length ? "Give a reason." : "Select seats first.";
      return;
    }
    const button = document.getElementById("apply-button");
    button.disabled = true;
    try {
      const outcome = await applyStatus(ids, status, reason);
      selected.clear();
      await reload();
      const lines = [`Changed ${outcome.changed} seat(s) to ${status}.`];
      if (outcome.warning) lines.push(outcome.warning);
      outcome.skipped.forEach((s) => lines.push(`Skipped seat ${s.id}: ${s.reason}`));
      result.textContent = lines.join("\n");
      result.dataset.done = "1";
    } catch (error) {
      result.className += " error";
      result.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });

  draw();
})();
