// The dashboard's small shared layer: CSRF-carrying fetch, confirmation dialog, toasts, theme switch,
// and the server-sent order events. Served locally (the CSP allows scripts from this site only).
(function () {
  "use strict";
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

  async function readBody(response) {
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("application/json")) return response.json();
    return { message: `The server answered ${response.status}.` };
  }

  // Every AJAX POST carries the CSRF token in the X-CSRFToken header (checked by Flask-WTF).
  window.postJSON = async function (url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: JSON.stringify(body || {}),
    });
    if (response.redirected) {  // the session ended: the server sent us to the sign-in page
      window.location = response.url;
      return { ok: false, status: 401, body: { message: "Please sign in again." } };
    }
    return { ok: response.ok, status: response.status, body: await readBody(response) };
  };

  window.getJSON = async function (url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } });
    if (response.redirected) { window.location = response.url; return { ok: false, status: 401, body: {} }; }
    return { ok: response.ok, status: response.status, body: await readBody(response) };
  };

  // A toast; `kind` is a Bootstrap colour (success, danger, warning, info). Text only, never HTML.
  window.showToast = function (message, kind) {
    const box = document.getElementById("toasts");
    if (!box || !window.bootstrap) return;
    const toast = document.createElement("div");
    toast.className = `toast align-items-center border-0 text-bg-${kind || "info"}`;
    toast.setAttribute("role", kind === "danger" ? "alert" : "status");
    const row = document.createElement("div");
    row.className = "d-flex";
    const body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("data-bs-dismiss", "toast");
    close.setAttribute("aria-label", "Close");
    row.append(body, close);
    toast.append(row);
    box.append(toast);
    toast.addEventListener("hidden.bs.toast", () => toast.remove());
    new window.bootstrap.Toast(toast, { delay: 5000 }).show();
  };

  // A confirmation dialog (Bootstrap modal); resolves true when the user confirms.
  window.confirmAction = function (message, confirmLabel) {
    const element = document.getElementById("confirm-modal");
    if (!element || !window.bootstrap) return Promise.resolve(window.confirm(message));
    document.getElementById("confirm-body").textContent = message;
    const yes = document.getElementById("confirm-yes");
    yes.textContent = confirmLabel || "Confirm";
    const modal = window.bootstrap.Modal.getOrCreateInstance(element);
    return new Promise((resolve) => {
      let answered = false;
      let shown = false;
      // Bootstrap ignores hide() while the dialog is still fading in: a quick confirm would be lost,
      // so a click that early hides it as soon as it is fully shown.
      element.addEventListener("shown.bs.modal", () => { shown = true; if (answered) modal.hide(); }, { once: true });
      const onYes = () => { answered = true; if (shown) modal.hide(); };
      yes.addEventListener("click", onYes, { once: true });
      element.addEventListener("hidden.bs.modal", () => {
        yes.removeEventListener("click", onYes);
        resolve(answered);
      }, { once: true });
      modal.show();
    });
  };

  function setupTheme() {
    const toggle = document.getElementById("theme-toggle");
    if (!toggle) return;
    const label = () => {
      const dark = document.documentElement.getAttribute("data-bs-theme") === "dark";
      toggle.textContent = dark ? "Light theme" : "Dark theme";
      toggle.setAttribute("aria-pressed", dark ? "true" : "false");
    };
    label();
    toggle.addEventListener("click", () => {
      const next = document.documentElement.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-bs-theme", next);
      try { window.localStorage.setItem("openalgo-theme", next); } catch (e) { /* storage blocked */ }
      label();
      document.dispatchEvent(new CustomEvent("openalgo:theme", { detail: next }));
    });
  }

  function setupConfirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", async (event) => {
        if (form.dataset.confirmed === "1") return;
        event.preventDefault();
        if (await window.confirmAction(form.dataset.confirm, form.dataset.confirmLabel)) {
          form.dataset.confirmed = "1";
          form.requestSubmit(event.submitter || undefined);
        }
      });
    });
  }

  // Order events pushed by the server (SSE): a toast, and an `openalgo:orders` event for the books.
  function setupEvents() {
    const url = document.body.dataset.eventsUrl;
    if (!url || !window.EventSource) return;
    const source = new EventSource(url);
    source.addEventListener("order", (message) => {
      const event = JSON.parse(message.data);
      const kind = event.status === "success" ? "success" : "danger";
      if (event.toast) window.showToast(event.toast, kind);
      document.dispatchEvent(new CustomEvent("openalgo:orders", { detail: event }));
    });
    source.addEventListener("book", () => {
      document.dispatchEvent(new CustomEvent("openalgo:orders", { detail: null }));
    });
    window.addEventListener("pagehide", () => source.close());
  }

  function setupApiKey() {
    const key = document.getElementById("apikey");
    const reveal = document.getElementById("reveal-apikey");
    const copy = document.getElementById("copy-apikey");
    if (!key || !reveal) return;
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
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(key.textContent);
        window.showToast("API key copied to the clipboard.", "success");
      } catch (e) {
        window.showToast("Copying is blocked by the browser; select the key and copy it.", "warning");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    setupTheme();
    setupConfirmForms();
    setupEvents();
    setupApiKey();
  });
})();

// Strategy pages: copy buttons (data-copy="<element id>") and symbol search for the mapping form.
document.addEventListener("DOMContentLoaded", () => {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(() => {
        const label = button.textContent;
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = label; }, 1500);
      });
    });
  });
  document.querySelectorAll("form[data-symbol-search]").forEach((form) => {
    const input = form.querySelector('input[name="symbol"]');
    const exchange = form.querySelector('select[name="exchange"]');
    const list = document.getElementById("symbol-results");
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const query = new URLSearchParams({ q: input.value, exchange: exchange ? exchange.value : "" });
        const response = await fetch(`${form.dataset.symbolSearch}?${query}`, { credentials: "same-origin" });
        if (!response.ok) return;
        const body = await response.json();
        list.replaceChildren(...(body.data || []).map((row) => {
          const option = document.createElement("option");
          option.value = row.symbol;
          option.label = `${row.exchange} ${row.name || ""}`;
          return option;
        }));
      }, 200);
    });
  });
});

// Hosted strategy page: the live log view polls the log every two seconds.
document.addEventListener("DOMContentLoaded", () => {
  "use strict";
  const view = document.getElementById("script-log");
  if (!view) return;
  const state = document.getElementById("script-state");
  const refresh = async () => {
    const response = await fetch(view.dataset.logUrl, { credentials: "same-origin" });
    if (!response.ok || response.redirected) return;
    const body = await response.json();
    const atBottom = view.scrollTop + view.clientHeight >= view.scrollHeight - 4;
    view.textContent = body.log || "(no output yet)";
    if (atBottom) view.scrollTop = view.scrollHeight;
    if (state && body.run) state.textContent = body.run.state;
  };
  refresh();
  setInterval(refresh, 2000);
});
