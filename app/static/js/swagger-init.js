// Start Swagger UI on the app's own OpenAPI document (no inline script, no CDN), in the site's theme.
// Loaded in the head after theme-init.js: Swagger UI's own dark styles follow html.dark-mode.
(function () {
  var root = document.documentElement;
  function follow() { root.classList.toggle("dark-mode", root.dataset.theme === "dark"); }
  follow();
  document.addEventListener("deloton:theme", follow);  // the header's toggle (app.js)

  // Landmarks and headings Swagger UI leaves out: its title and description in a named region, the
  // Authorize button and its dialog in another, and a heading (h2) for each ("Authorization",
  // "Endpoints") between the title (h1) and the dialog's and the groups of endpoints' headings (h3).
  function Landmarks(system) {
    var h = system.React.createElement;
    return { wrapComponents: {
      InfoContainer: function (Original) {
        return function (props) {
          return h("div", { role: "region", "aria-label": "About this API" }, h(Original, props));
        };
      },
      authorizeBtn: function (Original) {
        return function (props) {
          return h("div", { role: "region", "aria-label": "Authorization", className: "auth-region" },
                   h("h2", { className: "visually-hidden" }, "Authorization"), h(Original, props));
        };
      },
      operations: function (Original) {
        return function (props) {
          return h("div", null, h("h2", { className: "visually-hidden" }, "Endpoints"), h(Original, props));
        };
      }
    } };
  }

  // Swagger UI's markup, mended as it appears: its code blocks (examples, responses) scroll but could
  // not take the focus, so a keyboard could not scroll them; the dialog's close button (an icon) had
  // no name; its Authorize button was named "Apply credentials", which a voice user cannot say.
  function mend(container) {
    container.querySelectorAll(".highlight-code > pre:not([tabindex])").forEach(function (pre) {
      pre.setAttribute("tabindex", "0");
    });
    container.querySelectorAll(".modal-ux .close-modal:not([aria-label])").forEach(function (button) {
      button.setAttribute("aria-label", "Close");
    });
    container.querySelectorAll('.modal-ux button[aria-label="Apply credentials"]').forEach(function (button) {
      button.removeAttribute("aria-label");
    });
  }
  function mendAsItAppears(container) {
    new MutationObserver(function () { mend(container); })
      .observe(container, { childList: true, subtree: true });
  }

  window.addEventListener("load", function () {
    var container = document.getElementById("swagger-ui-container");
    mendAsItAppears(container);
    window.ui = SwaggerUIBundle({
      url: container.dataset.specUrl,
      dom_id: "#swagger-ui-container",
      plugins: [Landmarks],
      persistAuthorization: false,
      validatorUrl: null
    });
  });
})();
