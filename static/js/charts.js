/* Situation Table: draw the statistics charts with Chart.js (vendored, static/vendor/).
 *
 * Each chart is described by a <script type="application/json" id="chart-…"> block (Django's
 * json_script) and drawn into the element with data-chart="chart-…". The same numbers are in a
 * table right below every chart, so the canvas is decoration for sighted users, not the only
 * source: it is hidden from assistive technology and its container carries a label instead.
 */
(function () {
  "use strict";

  // The calm palette of app.css: navy, green, amber, grey, then lighter tints of the same hues.
  var PALETTE = [
    "#1d4e6f", "#2d6a4f", "#c08a2b", "#8a96a3",
    "#5b88a8", "#6fa287", "#dcb46a", "#b9c3cf", "#153a53", "#1f5139"
  ];
  var TEXT = "#1b2430";
  var MUTED = "#556170";
  var GRID = "#e6eaef";

  var NAMED = { navy: "#1d4e6f", green: "#2d6a4f", amber: "#c08a2b", grey: "#a3adb8" };

  function colours(n, offset) {
    var out = [];
    for (var i = 0; i < n; i++) out.push(PALETTE[(i + (offset || 0)) % PALETTE.length]);
    return out;
  }

  // Sequential shades of navy for ordered series (age groups): light to dark reads as "older".
  function shades(n) {
    var out = [];
    for (var i = 0; i < n; i++) {
      var t = n === 1 ? 1 : i / (n - 1);
      var r = Math.round(198 + (29 - 198) * t);
      var g = Math.round(216 + (78 - 216) * t);
      var b = Math.round(230 + (111 - 230) * t);
      out.push("rgb(" + r + "," + g + "," + b + ")");
    }
    return out;
  }

  // Long category names ("Threat to public health and safety") wrap instead of being cut.
  function wrap(label, width) {
    if (label.length <= width) return label;
    var lines = [], line = "";
    label.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) lines.push(line);
    return lines;
  }

  function config(spec) {
    var isDoughnut = spec.type === "doughnut";
    var many = spec.datasets.length > 1;
    var ordered = spec.stacked && spec.datasets.length > 4;
    var named = (spec.colors || []).map(function (name) { return NAMED[name] || name; });
    var perPoint = named.length && (isDoughnut || !many);
    var seriesColours = ordered ? shades(spec.datasets.length)
      : (named.length && many ? named : colours(spec.datasets.length));
    var datasets = spec.datasets.map(function (ds, i) {
      var colour = perPoint ? named
        : (isDoughnut ? colours(ds.data.length) : seriesColours[i]);
      return {
        label: ds.label,
        data: ds.data,
        backgroundColor: colour,
        borderColor: isDoughnut ? "#ffffff" : colour,
        borderWidth: isDoughnut ? 2 : 0,
        borderRadius: isDoughnut ? 0 : 3,
        maxBarThickness: 34
      };
    });
    var valueAxis = {
      beginAtZero: true,
      stacked: !!spec.stacked,
      grid: { color: GRID },
      border: { display: false },
      ticks: {
        color: MUTED,
        precision: 0,
        callback: spec.percent ? function (v) { return v + "%"; } : undefined
      },
      max: spec.percent ? 100 : undefined
    };
    var labelAxis = {
      stacked: !!spec.stacked,
      grid: { display: false },
      border: { color: GRID },
      ticks: { color: TEXT, autoSkip: false }
    };
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: {
        legend: {
          display: many || isDoughnut || !!spec.stacked,
          position: isDoughnut ? "right" : "bottom",
          labels: { color: TEXT, boxWidth: 12, boxHeight: 12, padding: 14 }
        },
        tooltip: {
          callbacks: spec.percent ? {
            label: function (ctx) { return ctx.dataset.label + ": " + ctx.formattedValue + "%"; }
          } : {}
        }
      }
    };
    if (!isDoughnut) {
      options.scales = spec.horizontal
        ? { x: valueAxis, y: labelAxis }
        : { x: labelAxis, y: valueAxis };
    } else {
      options.cutout = "58%";
    }
    var labels = spec.labels.map(function (l) { return wrap(l, spec.horizontal ? 26 : 12); });
    return { type: spec.type, data: { labels: labels, datasets: datasets }, options: options };
  }

  function empty(spec) {
    return !spec.labels.length || spec.datasets.every(function (ds) {
      return ds.data.every(function (v) { return !v; });
    });
  }

  function draw(holder) {
    var source = document.getElementById(holder.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    holder.style.position = "relative";
    if (empty(spec)) {
      var note = document.createElement("p");
      note.className = "muted";
      note.textContent = holder.getAttribute("data-empty") || "—";
      holder.appendChild(note);
      return;
    }
    var rows = spec.horizontal ? spec.labels.length * (spec.labels.some(function (l) {
      return l.length > 26;
    }) ? 1.5 : 1) : 0;
    var height = parseInt(holder.getAttribute("data-height") || "260", 10);
    // Horizontal bars need room per label; never squeeze them below a readable height.
    holder.style.height = Math.max(height, rows * 30 + 60) + "px";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("aria-hidden", "true");
    holder.appendChild(canvas);
    new Chart(canvas, config(spec));
  }

  function init() {
    if (typeof Chart !== "undefined") {
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      Chart.defaults.font.size = 12;
      Chart.defaults.color = MUTED;
    }
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
