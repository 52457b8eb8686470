// Quota portal dashboard: one live socket per quota family shown; any change re-renders the
// list from the server (the same template as the first render).
(function () {
  "use strict";
  const list = document.getElementById("dashboard-list");
  const status = document.getElementById("live-status");
  if (!list) return;
  const sockets = new Map(); // root id -> socket

  const refresh = window.Portal.debounce(async () => {
    const response = await fetch(list.dataset.fragmentUrl, { credentials: "same-origin" });
    if (response.redirected || !response.ok) return;
    list.innerHTML = await response.text();
    list.dataset.refreshed = String(Number(list.dataset.refreshed || 0) + 1);
    subscribe();
  }, 150);

  // One socket per family: the holder of a root hears its subquotas too.
  function subscribe() {
    const wanted = new Map();
    list.querySelectorAll("[data-quota-id]").forEach((item) => {
      const root = item.dataset.rootId;
      if (!wanted.has(root) || item.dataset.quotaId === root) wanted.set(root, item.dataset.quotaId);
    });
    wanted.forEach((quotaId, root) => {
      if (!sockets.has(root)) sockets.set(root, window.Portal.live(`/ws/quotas/${quotaId}/`, refresh, status));
    });
    sockets.forEach((socket, root) => {
      if (!wanted.has(root)) {
        socket.close();
        sockets.delete(root);
      }
    });
    if (!wanted.size && status) {
      status.dataset.state = "idle";
      status.textContent = "";
    }
  }

  subscribe();
})();
