// Live charts of a bike's ride (heart rate with the limit line, power, cadence) and small charts
// of finished rides, drawn by uPlot. Live charts fetch only the readings they have not seen yet.
(function () {
  var KINDS = { hr: { col: 1, label: "Heart rate", unit: "bpm", color: "--z5" },
                power: { col: 2, label: "Power", unit: "W", color: "--accent" },
                rpm: { col: 3, label: "Cadence", unit: "rpm", color: "--z2" } };

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function width(el) { return Math.max(260, el.clientWidth || 300); }

  function makeChart(el, kind, data, limit, height) {
    var series = [{}, { label: KINDS[kind].label, stroke: css(KINDS[kind].color), width: 2,
                        spanGaps: false }];
    if (kind === "hr") {
      series.push({ label: "Limit", stroke: css("--danger-bg"), width: 2, dash: [8, 6] });
    }
    var axis = { stroke: css("--text"), grid: { stroke: css("--border") }, ticks: { stroke: css("--border") } };
    el.innerHTML = "";
    return new uPlot({ width: width(el), height: height || 200, legend: { show: false },
                       cursor: { show: false }, scales: { x: { time: false } },
                       axes: [Object.assign({ label: "seconds" }, axis),
                              Object.assign({ label: KINDS[kind].unit }, axis)], series: series },
                     data, el);
  }

  function LiveCharts(box) {
    this.box = box;
    this.url = box.dataset.liveCharts;
    this.reset(null, null);
  }
  LiveCharts.prototype.reset = function (started, limit) {
    this.started = started;
    this.limit = limit;
    this.rows = [];
    this.draw();
  };
  LiveCharts.prototype.columns = function (kind) {
    var xs = [], ys = [], lim = [], self = this, col = KINDS[kind].col;
    this.rows.forEach(function (p) { xs.push(p[0]); ys.push(p[col]); lim.push(self.limit); });
    return kind === "hr" ? [xs, ys, lim] : [xs, ys];
  };
  LiveCharts.prototype.draw = function () {
    var self = this;
    this.charts = {};
    this.box.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.dataset.chart;
      self.charts[kind] = makeChart(el, kind, self.columns(kind), self.limit);
    });
  };
  LiveCharts.prototype.update = function () {
    var self = this;
    if (!document.body.contains(this.box) || this.busy) { return; }
    var last = this.rows.length ? this.rows[this.rows.length - 1][0] : -1;
    this.busy = true;
    fetch(this.url + "?after=" + last, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.started_at !== self.started) { self.reset(data.started_at, data.limit); }
        if (!data.points.length) { return; }
        self.rows = self.rows.concat(data.points);
        Object.keys(self.charts).forEach(function (kind) {
          self.charts[kind].setData(self.columns(kind));
        });
        self.box.dataset.points = String(self.rows.length);
      })
      .catch(function () { /* the next poll retries */ })
      .finally(function () { self.busy = false; });
  };

  function drawRideChart(el) {
    fetch(el.dataset.rideChart, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var xs = [], hr = [], lim = [];
        data.points.forEach(function (p) { xs.push(p[0]); hr.push(p[1]); lim.push(data.limit); });
        // As tall as a live chart: at 120 px the axes left about 30 px of plot and one label.
        makeChart(el, "hr", [xs, hr, lim], data.limit, 200);
        el.dataset.drawn = "true";
      })
      .catch(function () { el.textContent = "The chart of this ride could not be loaded."; });
  }

  var live = null;
  function setup() {
    var box = document.querySelector("[data-live-charts]");
    if (box && (!live || live.box !== box)) { live = new LiveCharts(box); live.update(); }
    if (!box) { live = null; }
    document.querySelectorAll("[data-ride-chart]:not([data-drawn])").forEach(drawRideChart);
  }

  document.addEventListener("DOMContentLoaded", setup);
  document.body.addEventListener("htmx:afterSettle", function () {
    var known = live;
    setup();
    if (live && live === known) { live.update(); }
  });
  document.addEventListener("deloton:theme", function () {
    if (live) { live.draw(); }
    document.querySelectorAll("[data-ride-chart][data-drawn]").forEach(function (el) {
      el.removeAttribute("data-drawn");
    });
    if (document.readyState !== "loading") { setup(); }
  });
})();
