// Live match dashboard (admin): draws the KPIs, the charts (Chart.js, vendored) and the seats by
// status from the data embedded in the page, then redraws them from every
// {"type": "dashboard", "data": …} message of ws/admin/dashboard/<match_id>/. Reconnects with
// exponential backoff (1 s … 30 s, with jitter) unless the server refused us (4401/4403/4404);
// the server sends a fresh dashboard on every (re)connection.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const colors = config.data.colors;
  const count = new Intl.NumberFormat("en-GB");
  const money = new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" });
  const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
  const day = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" });
  const dayHour = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", hour: "2-digit" });
  // Seats by status, as stacked in the sector chart and the seat bars (UNAVAILABLE: the rest).
  const GROUPS = [
    { key: "sold", label: "Sold", color: colors.SOLD },
    { key: "reserved", label: "Reserved", color: colors.RESERVED },
    { key: "allocated", label: "Allocated", color: colors.ALLOCATED },
    { key: "available", label: "Available", color: colors.AVAILABLE },
    { key: "unavailable", label: "Unavailable", color: colors.BLOCKED },
  ];
  const CHANNEL_COLORS = { SHOP: "#1f6fd1", QUOTA: "#7b2cbf", PETROL: "#e76f00" };

  const byId = (id) => document.getElementById(id);
  function text(id, value) {
    const node = byId(id);
    if (node) node.textContent = value;
  }

  // --- KPI tiles ---------------------------------------------------------------------------
  function drawKpis(data) {
    text("kpi-sold", count.format(data.sold));
    text("kpi-sold-share", data.capacity
      ? `${Math.round((100 * data.sold) / data.capacity)} % of ${count.format(data.capacity)}` : "");
    text("kpi-revenue", money.format(Number(data.revenue.net)));
    text("kpi-revenue-sub", `gross ${money.format(Number(data.revenue.gross))}, refunds ` +
      `${money.format(Number(data.revenue.refunds))}, ${count.format(data.revenue.orders)} orders`);
    text("kpi-reserved", count.format(data.reserved));
    text("kpi-available", count.format(data.available));
    text("kpi-capacity", `of ${count.format(data.capacity)}`);
    text("kpi-other", `${count.format(data.allocated)} / ${count.format(data.unavailable)}`);
    text("computed-at", new Date(data.computed_at).toLocaleTimeString("en-GB"));
  }

  function drawWaitingRoom(room) {
    text("queue-state", room.active ? (room.paused ? "paused" : "open") : "no active queue");
    text("queue-size", count.format(room.size));
    text("queue-open-windows", count.format(room.open_windows));
    text("queue-max-windows", `of ${count.format(room.max_open_windows)}`);
    text("queue-rate", count.format(room.admission_rate_per_minute));
    text("queue-configured-rate", `configured ${count.format(room.configured_rate_per_minute)}`);
  }

  function drawChannelsTable(channels) {
    const body = byId("channels").querySelector("tbody");
    body.replaceChildren(...channels.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.channel = row.channel;
      [row.channel, count.format(row.orders), count.format(row.tickets),
        money.format(Number(row.revenue))].forEach((value) => {
        const td = document.createElement("td");
        td.textContent = value;
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  // --- Seats by status: one bar per sector, its parts coloured by status ----------------------
  function drawLegend() {
    byId("status-legend").replaceChildren(...GROUPS.map((group) => {
      const li = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = group.color;
      li.append(swatch, document.createTextNode(group.label));
      return li;
    }));
  }

  function drawSectorMap(sectors) {
    byId("sector-map").replaceChildren(...sectors.map((sector) => {
      const tile = document.createElement(config.seatMapUrl && sector.is_numbered ? "a" : "div");
      tile.className = "sector-tile";
      tile.dataset.sector = sector.code;
      if (tile.tagName === "A") tile.href = `${config.seatMapUrl}?sector=${sector.id}`;
      const name = document.createElement("span");
      name.className = "sector-name";
      name.textContent = `${sector.code} · ${sector.name}`;
      const bar = document.createElement("span");
      bar.className = "sector-bar";
      GROUPS.forEach((group) => {
        if (!sector[group.key]) return;
        const part = document.createElement("span");
        part.style.background = group.color;
        part.style.flexGrow = sector[group.key];
        part.title = `${group.label}: ${count.format(sector[group.key])}`;
        bar.appendChild(part);
      });
      const figures = document.createElement("span");
      figures.className = "sector-figures";
      figures.textContent = `${count.format(sector.sold)} sold · ${count.format(sector.reserved)} ` +
        `reserved · ${count.format(sector.available)} free of ${count.format(sector.capacity)}`;
      tile.append(name, bar, figures);
      return tile;
    }));
  }

  // --- Charts --------------------------------------------------------------------------------
  const charts = {};
  const quiet = { animation: false, responsive: true, maintainAspectRatio: false };

  function label(at, bucket) {
    const when = new Date(at);
    return bucket === "day" ? day.format(when) : bucket === "hour" ? dayHour.format(when)
      : time.format(when);
  }

  function drawTimeline(sales) {
    const labels = sales.timeline.map((point) => label(point.at, sales.bucket));
    const tickets = sales.timeline.map((point) => point.tickets);
    const revenue = sales.timeline.map((point) => Number(point.revenue));
    text("timeline-bucket", `per ${sales.bucket}`);
    byId("timeline-empty").hidden = sales.timeline.length > 0;
    if (!charts.timeline) {
      charts.timeline = new window.Chart(byId("chart-timeline"), {
        type: "line",
        data: {
          labels,
          datasets: [
            { label: "Tickets", data: tickets, borderColor: colors.SOLD, yAxisID: "tickets",
              tension: 0.2 },
            { label: "Revenue (EUR)", data: revenue, borderColor: colors.ALLOCATED,
              yAxisID: "revenue", tension: 0.2 },
          ],
        },
        options: { ...quiet, scales: {
          tickets: { type: "linear", position: "left", beginAtZero: true,
            title: { display: true, text: "tickets" } },
          revenue: { type: "linear", position: "right", beginAtZero: true,
            grid: { drawOnChartArea: false }, title: { display: true, text: "EUR" } },
        } },
      });
      return;
    }
    charts.timeline.data.labels = labels;
    charts.timeline.data.datasets[0].data = tickets;
    charts.timeline.data.datasets[1].data = revenue;
    charts.timeline.update("none");
  }

  function drawSectorChart(sectors) {
    const labels = sectors.map((sector) => sector.code);
    const datasets = GROUPS.map((group) => ({
      label: group.label, backgroundColor: group.color,
      data: sectors.map((sector) => sector[group.key]),
    }));
    if (!charts.sectors) {
      charts.sectors = new window.Chart(byId("chart-sectors"), {
        type: "bar",
        data: { labels, datasets },
        options: { ...quiet, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
      });
      return;
    }
    charts.sectors.data.labels = labels;
    datasets.forEach((dataset, i) => { charts.sectors.data.datasets[i].data = dataset.data; });
    charts.sectors.update("none");
  }

  function drawChannelChart(channels) {
    const data = channels.map((row) => row.tickets);
    if (!charts.channels) {
      charts.channels = new window.Chart(byId("chart-channels"), {
        type: "doughnut",
        data: {
          labels: channels.map((row) => row.channel),
          datasets: [{ label: "Tickets", data,
            backgroundColor: channels.map((row) => CHANNEL_COLORS[row.channel]) }],
        },
        options: quiet,
      });
      return;
    }
    charts.channels.data.datasets[0].data = data;
    charts.channels.update("none");
  }

  function draw(data) {
    drawKpis(data);
    drawWaitingRoom(data.waiting_room);
    drawChannelsTable(data.sales.channels);
    drawSectorMap(data.sectors);
    if (window.Chart) {
      drawTimeline(data.sales);
      drawSectorChart(data.sectors);
      drawChannelChart(data.sales.channels);
    }
  }

  // --- Live ----------------------------------------------------------------------------------
  function live() {
    const status = byId("live-status");
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    let attempt = 0;

    function setState(state, words) {
      status.dataset.state = state;
      status.textContent = words;
    }

    function connect() {
      const socket = new WebSocket(`${scheme}//${window.location.host}${config.socketPath}`);
      socket.addEventListener("open", () => {
        attempt = 0;
        setState("open", "on");
      });
      socket.addEventListener("message", (message) => {
        let payload;
        try {
          payload = JSON.parse(message.data);
        } catch (error) {
          return;
        }
        if (payload.type === "dashboard") draw(payload.data);
      });
      socket.addEventListener("close", (event) => {
        if ([4401, 4403, 4404].includes(event.code)) {
          setState("refused", event.code === 4401 ? "off (signed out: reload the page)" : "off");
          return;
        }
        attempt += 1;
        const delay = Math.min(30000, 1000 * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
        setState("retrying", "reconnecting…");
        window.setTimeout(connect, delay);
      });
    }

    connect();
  }

  drawLegend();
  draw(config.data);
  live();
})();
