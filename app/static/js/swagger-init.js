// Start Swagger UI on the app's own OpenAPI document (no inline script, no CDN), in the site's theme.
// Loaded in the head after theme-init.js: Swagger UI's own dark styles follow html.dark-mode.
(function () {
  var root = document.documentElement;
  function follow() { root.classList.toggle("dark-mode", root.dataset.theme === "dark"); }
  follow();
  document.addEventListener("deloton:theme", follow);  // the header's toggle (app.js)

  // Landmarks and headings Swagger UI leaves out: its title and description in a named region,
  // and a heading "Endpoints" (h2) between the title (h1) and each group of endpoints (h3).
  function Landmarks(system) {
    var h = system.React.createElement;
    return { wrapComponents: {
      InfoContainer: function (Original) {
        return function (props) {
          return h("div", { role: "region", "aria-label": "About this API" }, h(Original, props));
        };
      },
      operations: function (Original) {
        return function (props) {
          return h("div", null, h("h2", { className: "visually-hidden" }, "Endpoints"), h(Original, props));
        };
      }
    } };
  }

  // Swagger UI's code blocks (examples, responses) scroll but cannot take the focus, so a keyboard
  // could not scroll them: each gets tabindex="0" as it appears.
  function focusableCode(container) {
    new MutationObserver(function () {
      container.querySelectorAll(".highlight-code > pre:not([tabindex])").forEach(function (pre) {
        pre.setAttribute("tabindex", "0");
      });
    }).observe(container, { childList: true, subtree: true });
  }

  window.addEventListener("load", function () {
    var container = document.getElementById("swagger-ui-container");
    focusableCode(container);
    window.ui = SwaggerUIBundle({
      url: container.dataset.specUrl,
      dom_id: "#swagger-ui-container",
      plugins: [Landmarks],
      persistAuthorization: false,
      validatorUrl: null
    });
  });
})();
