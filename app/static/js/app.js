// Theme switch (remembered in localStorage), the CSRF header on every htmx request, the
// screen-reader status of a bike's screen (announced only when it changes, not every second)
// the steady pulse of its above-limit banner, and Today's refresh held back while a note is written.
(function () {
  var root = document.documentElement;
  var button = document.getElementById("theme-toggle");

  function show(theme) {
    root.dataset.theme = theme;
    if (button) {
      // A toggle button: the name stays "Dark mode", aria-pressed says whether it is on.
      button.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
    }
    document.dispatchEvent(new CustomEvent("deloton:theme", { detail: theme }));
  }

  show(root.dataset.theme || "light");
  if (button) {
    button.addEventListener("click", function () {
      var next = root.dataset.theme === "dark" ? "light" : "dark";
      try { localStorage.setItem("deloton-theme", next); } catch (e) { /* private mode */ }
      show(next);
    });
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector('meta[name="csrf-token"]');
    if (token) { event.detail.headers["X-CSRFToken"] = token.content; }
  });

  function announce() {
    var figures = document.getElementById("live-figures");
    var region = document.getElementById("live-status");
    if (figures && region && region.textContent !== figures.dataset.status) {
      region.textContent = figures.dataset.status || "";
    }
  }
  document.body.addEventListener("htmx:afterSettle", announce);
  announce();

  // The above-limit banner is replaced every second with fresh figures. Its pulse runs on the
  // document's clock (start time 0), so each new banner carries on the pulse instead of restarting
  // it, which looked like a blink. Done on afterSwap, before the new banner is painted.
  function keepPulse() {
    document.querySelectorAll(".hr-warning").forEach(function (el) {
      if (el.getAnimations) { el.getAnimations().forEach(function (a) { a.startTime = 0; }); }
    });
  }
  document.body.addEventListener("htmx:afterSwap", keepPulse);
  keepPulse();

  // Today's page refreshes itself, replacing its alerts table: a refresh waits while someone is in
  // one of its fields or has started a note, so no typing is lost (data-refresh says which).
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var region = event.detail.elt;
    if (!region.hasAttribute || !region.hasAttribute("data-pause-while-editing")) { return; }
    var active = document.activeElement;
    var editing = (region.contains(active) && active.matches("input, textarea, select")) ||
      Array.prototype.some.call(region.querySelectorAll("input[name=note]"), function (f) { return f.value; });
    region.dataset.refresh = editing ? "paused" : "on";
    if (editing) { event.preventDefault(); }
  });

  // Back to a page kept whole in the back/forward cache: its filters go back to the values the
  // page was rendered with (its URL's), not the ones chosen just before leaving it.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll('form[role="search"]').forEach(function (form) { form.reset(); });
    }
  });

  // A stored report is shown in a frame as tall as the report, so the page alone scrolls, and in
  // the theme chosen on the site (the report has no script: its root's data-theme is set from here).
  function themeFrame(frame) {
    try { frame.contentDocument.documentElement.dataset.theme = root.dataset.theme; } catch (e) { /* not loaded yet */ }
  }
  document.addEventListener("deloton:theme", function () {
    document.querySelectorAll("iframe[data-fit-content]").forEach(themeFrame);
  });
  function fitFrame(frame) {
    try {
      var border = frame.offsetHeight - frame.clientHeight;
      frame.style.height = frame.contentDocument.documentElement.scrollHeight + border + "px";
    } catch (e) { /* not loaded yet: the load event fits it */ }
  }
  document.querySelectorAll("iframe[data-fit-content]").forEach(function (frame) {
    frame.addEventListener("load", function () { themeFrame(frame); fitFrame(frame); });
    window.addEventListener("resize", function () { fitFrame(frame); });
    themeFrame(frame);
    fitFrame(frame);
  });
})();
