/* Warden console: the dashboard's charts (Chart.js from /static/vendor). Each canvas carries its data
   in data-chart (JSON, escaped by the server); the same numbers are in a table beside it. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  window.Chart.defaults.color = "#0b0c0c";
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var canvases = document.querySelectorAll("canvas[data-chart]");
  for (var i = 0; i < canvases.length; i += 1) {
    var spec = JSON.parse(canvases[i].getAttribute("data-chart"));
    var datasets = spec.series.map(function (series) {
      return {label: series.label, data: series.values, backgroundColor: series.colour, borderColor: series.colour};
    });
    new window.Chart(canvases[i], {
      type: "bar",
      data: {labels: spec.labels, datasets: datasets},
      options: {
        animation: still ? false : {duration: 300},
        maintainAspectRatio: false,
        scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}},
        plugins: {legend: {position: "bottom"}, title: {display: false}}
      }
    });
  }
})();
