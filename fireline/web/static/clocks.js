// Counts SLA clocks down once a second. The server renders each clock's status and
// deadline; this only keeps the remaining time current between page loads.
(function () {
  function format(ms) {
    var sign = ms < 0 ? "overdue by " : "";
    var total = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var parts = h > 0 ? [h + "h", m + "m"] : [m + "m", s + "s"];
    return sign + parts.join(" ") + (ms < 0 ? "" : " left");
  }
  function tick() {
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var remaining = new Date(el.dataset.deadline).getTime() - Date.now();
      el.textContent = format(remaining);
      el.classList.toggle("overdue", remaining < 0);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
