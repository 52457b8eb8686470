// Quota portal: what every page shares. Calls to the JSON API (session cookie + CSRF header)
// and live sync over ws/quotas/<id>/ with reconnection and backoff.
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // -> {ok, status, data}; data is the API's JSON ({"error", "detail", "fields"} on errors).
  async function api(method, url, body) {
    const options = {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      return { ok: false, status: 0, data: { detail: "The network is unreachable; try again." } };
    }
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = { detail: `Unexpected answer from the server (${response.status}).` };
    }
    if (response.status === 401 || response.status === 403) {
      if (data.error === "not_authenticated") window.location.reload(); // session ended
    }
    return { ok: response.ok, status: response.status, data };
  }

  // Opens a socket to `path` and calls onChange(event) for every quota change; also after a
  // reconnection (changes may have been missed meanwhile). Reconnects with exponential
  // backoff (1 s … 30 s, with jitter) unless the server refused us (4401/4403/4404).
  function live(path, onChange, statusNode) {
    let attempt = 0;
    let socket = null;
    let stopped = false;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";

    function setState(state, text) {
      if (!statusNode) return;
      statusNode.dataset.state = state;
      statusNode.textContent = text;
    }

    function connect() {
      socket = new WebSocket(`${scheme}//${window.location.host}${path}`);
      socket.addEventListener("open", () => {
        const reconnected = attempt > 0;
        attempt = 0;
        setState("open", "Live: changes made elsewhere appear here automatically.");
        if (reconnected) onChange({ event: "reconnected" });
      });
      socket.addEventListener("message", (message) => {
        let data;
        try {
          data = JSON.parse(message.data);
        } catch (error) {
          return;
        }
        if (data.type === "quota.changed") onChange(data.event || {});
      });
      socket.addEventListener("close", (event) => {
        if (stopped) return;
        if ([4401, 4403, 4404].includes(event.code)) {
          setState("refused", "Live updates are not available for this page.");
          return;
        }
        attempt += 1;
        const delay = Math.min(30000, 1000 * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
        setState("retrying", "Reconnecting for live updates…");
        window.setTimeout(connect, delay);
      });
    }

    connect();
    return {
      close() {
        stopped = true;
        if (socket) socket.close();
      },
    };
  }

  // Runs fn at most once per `wait` ms burst (events often come in pairs: claim + status).
  function debounce(fn, wait) {
    let timer = null;
    return function (...args) {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => fn(...args), wait);
    };
  }

  function show(node, visible) {
    if (node) node.hidden = !visible;
  }

  function message(node, text) {
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  window.Portal = { api, live, debounce, show, message, csrfToken };
})();
