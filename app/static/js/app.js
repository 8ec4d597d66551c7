// Theme switch (remembered in localStorage) and the CSRF header on every htmx request.
(function () {
  var root = document.documentElement;
  var button = document.getElementById("theme-toggle");

  function show(theme) {
    root.dataset.theme = theme;
    if (button) {
      button.setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
      button.textContent = theme === "dark" ? "Light mode" : "Dark mode";
    }
  }

  show(root.dataset.theme || "light");
  if (button) {
    button.addEventListener("click", function () {
      var next = root.dataset.theme === "dark" ? "light" : "dark";
      localStorage.setItem("deloton-theme", next);
      show(next);
    });
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector('meta[name="csrf-token"]');
    if (token) { event.detail.headers["X-CSRFToken"] = token.content; }
  });
})();
