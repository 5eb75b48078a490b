// Small behaviours of the account pages. Served locally (the CSP allows scripts from this site only).
(function () {
  "use strict";
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

  // Every AJAX POST carries the CSRF token in the X-CSRFToken header (checked by Flask-WTF).
  window.postJSON = async function (url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {}),
    });
    if (response.redirected) {  // the session ended: the server sent us to the sign-in page
      window.location = response.url;
      return { ok: false, status: 401, body: { message: "Please sign in again." } };
    }
    return { ok: response.ok, status: response.status, body: await response.json() };
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });

    const key = document.getElementById("apikey");
    const reveal = document.getElementById("reveal-apikey");
    const copy = document.getElementById("copy-apikey");
    if (key && reveal) {
      const masked = key.textContent;
      reveal.addEventListener("click", async () => {
        if (reveal.dataset.shown === "1") {
          key.textContent = masked;
          reveal.dataset.shown = "0";
          reveal.textContent = "Reveal";
          copy.hidden = true;
          return;
        }
        const result = await window.postJSON(key.dataset.revealUrl);
        if (!result.ok) { key.textContent = result.body.message || "Could not load the key"; return; }
        key.textContent = result.body.apikey;
        reveal.dataset.shown = "1";
        reveal.textContent = "Hide";
        copy.hidden = false;
      });
      copy.addEventListener("click", () => navigator.clipboard.writeText(key.textContent));
    }
  });
})();
