// Draws the month's usage per metric (and the forecast) from the page's JSON (#usage-data).
// Without Chart.js (the libjs-chart.js package missing) the table beside stays the figures.
(function () {
  "use strict";
  var data = document.getElementById("usage-data");
  var canvas = document.getElementById("usage-chart");
  if (!data || !canvas || typeof window.Chart === "undefined") return;
  var usage = JSON.parse(data.textContent);
  var datasets = [{ label: "So far", data: usage.quantities, backgroundColor: "#38419d" }];
  if (usage.forecast.some(function (v) { return v !== null; })) {
    datasets.push({ label: "Forecast for the month", data: usage.forecast, backgroundColor: "#b7bce8" });
  }
  new window.Chart(canvas, {
    type: "bar",
    data: { labels: usage.labels, datasets: datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true } },
      plugins: { legend: { position: "bottom" } }
    }
  });
  canvas.closest("[data-chart]").classList.remove("d-none");
})();
