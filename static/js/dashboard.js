/* The dashboard's charts (issue 9): each <figure data-chart="ID"> names a JSON block
   (Django's json_script) holding {title, unit, kind, horizontal, labels, values, urls}; this
   draws it with Chart.js (static/vendor/chartjs), shows the canvas, and makes a bar with a
   list behind it open that list. No inline script or style, no eval: it runs under a strict
   Content-Security-Policy. Without this script the tables behind the charts show the figures. */
(function () {
  "use strict";

  var COLOURS = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#5d4037", "#37474f"];

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function draw(figure) {
    var source = document.getElementById(figure.getAttribute("data-chart"));
    var holder = figure.querySelector(".chart-canvas");
    var canvas = holder && holder.querySelector("canvas");
    if (!source || !canvas || !window.Chart) { return; }
    var data;
    try { data = JSON.parse(source.textContent); } catch (e) { return; }
    var line = data.kind === "line";
    var horizontal = !line && data.horizontal;
    var rows = data.labels.length;
    holder.hidden = false;
    var chart = new window.Chart(canvas, {
      type: line ? "line" : "bar",
      data: {
        labels: data.labels,
        datasets: [{
          label: data.unit,
          data: data.values,
          backgroundColor: line ? COLOURS[0] : data.labels.map(function (_, i) { return COLOURS[i % COLOURS.length]; }),
          borderColor: COLOURS[0],
          spanGaps: true
        }]
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: true,
        // Horizontal bars: about 28 px a row on a 640 px wide chart; others 2:1.
        aspectRatio: horizontal ? Math.max(640 / (rows * 28 + 40), 1.2) : 2,
        animation: false,
        plugins: {
          legend: { display: false },
          title: { display: false },
          tooltip: { callbacks: { label: function (item) { return item.formattedValue + " " + data.unit; } } }
        },
        scales: horizontal
          ? { x: { beginAtZero: true, ticks: { precision: 0 } } }
          : { y: { beginAtZero: true, ticks: { precision: line ? undefined : 0 } } },
        onHover: function (event, elements) {
          var url = elements.length && data.urls[elements[0].index];
          event.native.target.style.cursor = url ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          var url = elements.length && data.urls[elements[0].index];
          if (url) { window.location.assign(url); }
        }
      }
    });
    figure.classList.add("chart-drawn");
    figure.chart = chart;
  }

  ready(function () {
    document.querySelectorAll("figure[data-chart]").forEach(draw);
    document.documentElement.setAttribute("data-charts-drawn", String(document.querySelectorAll("figure.chart-drawn").length));
  });
})();
