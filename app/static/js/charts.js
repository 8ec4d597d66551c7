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
    height = height || el.clientHeight || 200;
    // A short chart (a phone's cockpit) keeps its plot: no axis titles (the caption names the unit).
    var titled = height >= 200;
    var scales = { x: { time: false } }, hooks = {};
    if (kind === "hr") {
      scales.y = { range: hrRange(limit) };
      // The y scale's ends, readable by tests (as the time ticks are).
      hooks.setScale = [function (u, key) {
        if (key === "y") { u.root.dataset.yScale = u.scales.y.min + " " + u.scales.y.max; }
      }];
    }
    return new uPlot({ width: width(el), height: height, legend: { show: false },
                       cursor: { show: false }, scales: scales, hooks: hooks,
                       axes: [Object.assign({ label: titled ? "minutes" : null, incrs: TIME_STEPS, values: minutes,
                                              size: titled ? 50 : 30 }, axis),
                              Object.assign({ label: titled ? KINDS[kind].unit : null }, axis)], series: series },
                     data, el);
  }

  // The heart-rate axis keeps the zones in sight: from half the limit (or the lowest reading, if
  // lower) to 5 bpm above the limit (or the highest reading), and never less than 20 bpm, so a flat
  // heart rate (183 for a while) no longer shrinks the axis to 182.8-183 and hides the zone bands.
  var HR_MIN_SPAN = 20;
  function hrRange(limit) {
    return function (u, low, high) {
      if (low == null || high == null) { low = high = limit || 0; }
      if (limit) { low = Math.min(low, 0.5 * limit); high = Math.max(high, limit); }
      high += 5;
      if (high - low < HR_MIN_SPAN) { low = Math.max(0, high - HR_MIN_SPAN); high = low + HR_MIN_SPAN; }
      return [Math.floor(low), Math.ceil(high)];
    };
  }

  // The time axis in minutes: ticks on whole minutes once the ride is long enough, as M:SS before.
  var TIME_STEPS = [15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  function minutes(u, splits) {
    var labels = splits.map(function (s) {
      var m = Math.floor(s / 60), sec = Math.round(s % 60);
      return sec ? m + ":" + (sec < 10 ? "0" : "") + sec : String(m);
    });
    u.root.dataset.timeTicks = labels.join(" ");  // the canvas's tick labels, readable by tests
    return labels;
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
      shadeZones(self.charts[kind], kind, self.box, self.limit);
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

  // A ride page: heart rate over bands of the five zones (limit x data-zone-bounds), power and
  // cadence, from one fetch of the ride's readings; redrawn in the new colours on a theme change.
  function zoneBands(bounds, limit) {
    return function (u) {
      var edges = [u.scales.y.min].concat(bounds.map(function (b) { return b * limit; }), [u.scales.y.max]);
      u.ctx.save();
      u.ctx.globalAlpha = 0.22;
      for (var i = 0; i < 5; i++) {
        var low = Math.max(edges[i], u.scales.y.min), high = Math.min(edges[i + 1], u.scales.y.max);
        if (high <= low) { continue; }
        var top = u.valToPos(high, "y", true), bottom = u.valToPos(low, "y", true);
        u.ctx.fillStyle = css("--z" + (i + 1));
        u.ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
      }
      u.ctx.restore();
    };
  }

  // The heart-rate chart of a ride page or a bike's screen: its zones shaded under the line.
  function shadeZones(chart, kind, box, limit) {
    if (kind !== "hr" || !limit || !box.dataset.zoneBounds) { return; }
    chart.hooks.drawClear = [zoneBands(box.dataset.zoneBounds.split(",").map(Number), limit)];
    // A chart with no readings yet has no axes to redraw (uPlot throws): its first data draws the bands.
    if (chart.data[0].length) { chart.redraw(false, false); }
  }

  function drawRidePage(box, data) {
    var cols = { x: [], hr: [], power: [], rpm: [], lim: [] };
    data.points.forEach(function (p) {
      cols.x.push(p[0]); cols.hr.push(p[1]); cols.power.push(p[2]); cols.rpm.push(p[3]);
      cols.lim.push(data.limit);
    });
    box.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.dataset.chart;
      var chart = makeChart(el, kind, kind === "hr" ? [cols.x, cols.hr, cols.lim] : [cols.x, cols[kind]],
                            data.limit, kind === "hr" ? 260 : 200);
      shadeZones(chart, kind, box, data.limit);
    });
    box.dataset.points = String(data.points.length);
  }

  var ridePages = [];  // [box, readings] of each ride page drawn, to redraw on a theme change
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-ride-page-charts]").forEach(function (box) {
      fetch(box.dataset.ridePageCharts, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) { ridePages.push([box, data]); drawRidePage(box, data); })
        .catch(function () { box.textContent = "The charts of this ride could not be loaded."; });
    });
  });
  document.addEventListener("deloton:theme", function () {
    ridePages.forEach(function (page) { drawRidePage(page[0], page[1]); });
  });

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
