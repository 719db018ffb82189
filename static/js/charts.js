// Draws the bar charts of the dashboards from the JSON the page carries (json_script), with the
// vendored Chart.js. The element "<id>-chart" gets the data of the element "<id>-data".
(function () {
  document.querySelectorAll("canvas[id$='-chart']").forEach(function (canvas) {
    var source = document.getElementById(canvas.id.replace(/-chart$/, "-data"));
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: data.label, data: data.counts, backgroundColor: "#0d6efd" }] },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  });
})();
