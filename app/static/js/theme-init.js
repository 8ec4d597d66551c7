// Apply the remembered theme before the page paints, so it never flashes (loaded without defer).
(function () {
  var saved = null;
  try { saved = localStorage.getItem("deloton-theme"); } catch (e) { /* storage may be blocked */ }
  var prefersDark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = saved || (prefersDark ? "dark" : "light");
})();
