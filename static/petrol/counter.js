// The reservation's countdown: warnings at 5 minutes and 1 minute left; at 0 the seats are
// back in the Petrol quota (the server decides; this only tells the staff) and confirming
// is disabled.
(function () {
  var clock = document.getElementById("countdown");
  if (!clock) return;
  var live = ["RESERVED", "IDENTITY_VERIFIED"].indexOf(clock.dataset.status) >= 0;
  if (!live) return;
  var ends = Date.parse(clock.dataset.expiresAt);
  var warning = document.getElementById("countdown-warning");

  function tell(text, level) {
    warning.hidden = false;
    warning.textContent = text;
    warning.className = "warning " + level;
  }

  function tick() {
    var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
    var minutes = Math.floor(left / 60), seconds = left % 60;
    clock.textContent = "Seats held for " + minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    if (left === 0) {
      tell("Time is up: the seats went back to the Petrol quota. Look the PIN up again.", "expired");
      document.querySelectorAll("#confirm, #verify").forEach(function (b) { b.disabled = true; });
      return;
    }
    if (left <= 60) tell("1 minute left: confirm the sale now.", "urgent");
    else if (left <= 300) tell("5 minutes left.", "soon");
    setTimeout(tick, 1000);
  }
  tick();
})();
