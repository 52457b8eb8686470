// Seat-map editor (admin): a grid where clicking or dragging adds or removes seats of the
// chosen type; row labels and numbering direction are edited in place; Save sends the seat map
// JSON to the venues API (POST the first time, PUT after).
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("seat-editor-config").textContent);
  const grid = document.getElementById("seat-editor-grid");
  const message = document.getElementById("editor-message");
  const rowsInput = document.getElementById("editor-rows");
  const colsInput = document.getElementById("editor-cols");
  const typeSelect = document.getElementById("editor-type");
  const directionSelect = document.getElementById("editor-direction");
  const total = document.getElementById("editor-total");
  const csrf = document.querySelector("#seat-editor-form [name=csrfmiddlewaretoken]").value;
  // The controls never submit as a form (no inline handler: the CSP allows none).
  document.getElementById("seat-editor-form").addEventListener("submit", (e) => e.preventDefault());

  const map = config.seatMap;
  let rows = map.dimensions.rows;
  let cols = map.dimensions.cols;
  const seats = new Map(map.seats.map((s) => [`${s.row},${s.col}`, String(s.type).toLowerCase()]));
  let labels = map.row_labels.slice();
  let hasMap = config.hasMap;

  function defaultLabel(index) {
    let label = "";
    let n = index;
    do { label = String.fromCharCode(65 + (n % 26)) + label; n = Math.floor(n / 26) - 1; }
    while (n >= 0);
    return label;
  }

  function fillLabels() {
    for (let r = labels.length; r < rows; r++) labels.push(defaultLabel(r));
    labels = labels.slice(0, rows);
  }

  config.seatTypes.forEach((type) => typeSelect.add(new Option(type, type)));
  directionSelect.value = map.numbering_direction || "LTR";
  rowsInput.value = rows;
  colsInput.value = cols;

  function number() {
    // Seat numbers as generation will assign them: 1.. along each row in the chosen direction.
    const rtl = directionSelect.value === "RTL";
    for (let r = 0; r < rows; r++) {
      const cells = [...grid.querySelectorAll(`.cell.seat[data-row="${r}"]`)];
      if (rtl) cells.reverse();
      cells.forEach((cell, i) => { cell.textContent = i + 1; });
    }
    grid.querySelectorAll(".cell:not(.seat)").forEach((cell) => { cell.textContent = ""; });
    total.textContent = seats.size;
  }

  function paint(cell) {
    const type = seats.get(`${cell.dataset.row},${cell.dataset.col}`);
    cell.className = "cell" + (type ? ` seat type-${type}` : "");
    cell.title = type ? `${labels[cell.dataset.row]} (${type})` : "";
  }

  function render() {
    fillLabels();
    grid.replaceChildren();
    grid.style.gridTemplateColumns = `4em repeat(${cols}, 20px)`;
    for (let r = 0; r < rows; r++) {
      const input = document.createElement("input");
      input.className = "row-label-input";
      input.value = labels[r];
      input.dataset.row = r;
      input.maxLength = 10;
      input.addEventListener("input", () => { labels[r] = input.value; });
      grid.appendChild(input);
      for (let c = 0; c < cols; c++) {
        const cell = document.createElement("div");
        cell.dataset.row = r;
        cell.dataset.col = c;
        paint(cell);
        grid.appendChild(cell);
      }
    }
    number();
  }

  // Drag painting: the first cell decides whether this stroke adds or removes seats.
  let mode = null;
  function stroke(cell) {
    const key = `${cell.dataset.row},${cell.dataset.col}`;
    if (mode === "remove") seats.delete(key); else seats.set(key, typeSelect.value);
    paint(cell);
  }
  grid.addEventListener("mousedown", (event) => {
    const cell = event.target.closest(".cell");
    if (!cell) return;
    event.preventDefault();
    const key = `${cell.dataset.row},${cell.dataset.col}`;
    mode = seats.get(key) === typeSelect.value ? "remove" : "add";
    stroke(cell);
  });
  grid.addEventListener("mouseover", (event) => {
    const cell = event.target.closest(".cell");
    if (mode && cell) stroke(cell);
  });
  window.addEventListener("mouseup", () => {
    if (mode) { mode = null; number(); }
  });
  directionSelect.addEventListener("change", number);

  document.getElementById("editor-resize").addEventListener("click", () => {
    rows = Math.max(1, Math.min(500, Number(rowsInput.value) || rows));
    cols = Math.max(1, Math.min(500, Number(colsInput.value) || cols));
    [...seats.keys()].forEach((key) => {
      const [r, c] = key.split(",").map(Number);
      if (r >= rows || c >= cols) seats.delete(key);
    });
    render();
  });

  function seatMapJson() {
    const list = [...seats.entries()].map(([key, type]) => {
      const [row, col] = key.split(",").map(Number);
      return { row, col, type };
    }).sort((a, b) => a.row - b.row || a.col - b.col);
    return {
      dimensions: { rows, cols }, seats: list,
      row_labels: labels.map((l) => l.trim()), numbering_direction: directionSelect.value,
    };
  }

  document.getElementById("editor-save").addEventListener("click", async () => {
    message.className = "seat-editor-message";
    message.textContent = "Saving…";
    try {
      const response = await fetch(config.apiUrl, {
        method: hasMap ? "PUT" : "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(seatMapJson()),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(data.detail || `HTTP ${response.status}`);
      hasMap = true;
      message.textContent = `Saved ${data.total_seats} seats (${data.configuration_status}).`;
      message.dataset.saved = "1";
    } catch (error) {
      message.className += " error";
      message.textContent = `Not saved: ${error.message}`;
    }
  });

  render();
})();
