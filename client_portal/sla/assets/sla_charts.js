// Draws the SLA trend charts from the JSON the page carries (#sla-trend).
// Without Chart.js (the libjs-chart.js package missing) the tables beside stay the figures.
(function () {
  "use strict";
  var data = document.getElementById("sla-trend");
  if (!data || typeof window.Chart === "undefined") return;
  var trend = JSON.parse(data.textContent);
  var COLOURS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545"];

  function line(canvasId, datasets, unit, max) {
    var canvas = document.getElementById(canvasId);
    if (!canvas) return;
    new window.Chart(canvas, {
      type: "line",
      data: { labels: trend.labels, datasets: datasets },
      options: {
        animation: false,
        spanGaps: true,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, max: max, title: { display: true, text: unit } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
    canvas.closest("[data-chart]").classList.remove("d-none");
  }

  line(
    "sla-chart-compliance",
    trend.targets.map(function (t, i) {
      return { label: t.label, data: t.values, borderColor: COLOURS[i % COLOURS.length], backgroundColor: COLOURS[i % COLOURS.length], tension: 0.2 };
    }),
    "% compliance",
    100
  );
  line(
    "sla-chart-handoff",
    [
      { label: "Median", data: trend.handoff_p50, borderColor: COLOURS[0], backgroundColor: COLOURS[0] },
      { label: "p90", data: trend.handoff_p90, borderColor: COLOURS[2], backgroundColor: COLOURS[2] }
    ],
    "business hours"
  );
})();
