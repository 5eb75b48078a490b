// Applies the saved light/dark theme before the first paint (loaded synchronously in <head>).
(function () {
  "use strict";
  let theme = null;
  try { theme = window.localStorage.getItem("openalgo-theme"); } catch (e) { /* storage blocked */ }
  if (theme !== "light" && theme !== "dark") {
    theme = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.setAttribute("data-bs-theme", theme);
})();
