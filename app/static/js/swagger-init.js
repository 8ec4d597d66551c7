// Start Swagger UI on the app's own OpenAPI document (no inline script, no CDN).
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    persistAuthorization: false,
    validatorUrl: null
  });
});
