// Theme switch (remembered in localStorage), the CSRF header on every htmx request, and the
// screen-reader status of a bike's screen (announced only when it changes, not every second).
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
})();
