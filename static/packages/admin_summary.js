// Package list (admin): polls the summary view named in #package-summary-config every
// `interval_ms` and updates the totals above the list and each row's capacity bar.
(function () {
  "use strict";
  const node = document.getElementById("package-summary-config");
  if (!node) return;
  const config = JSON.parse(node.textContent);

  function text(id, value) {
    const target = document.getElementById(id);
    if (target) target.textContent = value;
  }

  function render(data) {
    text("package-summary-sold", String(data.sold));
    text("package-summary-revenue", data.revenue);
    for (const pkg of data.packages) {
      const taken = pkg.sold_count + pkg.held_count;
      const bar = document.querySelector('[data-package-capacity="' + pkg.id + '"]');
      const label = document.querySelector('[data-package-taken="' + pkg.id + '"]');
      if (bar) {
        bar.value = Math.min(taken, bar.max);
        bar.title = pkg.sold_count + " sold, " + pkg.held_count + " in carts";
      }
      if (label) {
        label.textContent = pkg.available === null
          ? "Unlimited (" + pkg.sold_count + " sold)"
          : taken + " / " + (taken + pkg.available);
      }
    }
  }

  async function poll() {
    try {
      const response = await fetch(config.url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) render(await response.json());
    } catch (error) {
      // offline for a moment: the next poll tries again
    } finally {
      window.setTimeout(poll, config.interval_ms);
    }
  }

  window.setTimeout(poll, config.interval_ms);
})();
