// Search page: results as you type (debounced), each linking to the symbol page.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("search-form");
    if (!form) return;
    const body = document.querySelector("#search-results tbody");
    const message = document.getElementById("search-message");
    let timer = null, seq = 0;

    async function run() {
      const query = new URLSearchParams(new FormData(form));
      if (!query.get("q").trim()) { body.replaceChildren(); message.textContent = ""; return; }
      const mine = ++seq;
      const result = await window.getJSON(`${form.dataset.url}?${query}`);
      if (mine !== seq) return;  // a newer search already answered
      body.replaceChildren();
      if (!result.ok) { message.textContent = result.body.message || "Search failed."; return; }
      message.textContent = result.body.total > result.body.data.length
        ? `${result.body.message}; showing the first ${result.body.data.length}.` : result.body.message;
      for (const row of result.body.data) {
        const tr = document.createElement("tr");
        const link = document.createElement("a");
        link.href = form.dataset.symbolUrl.replace("EXCHANGE", encodeURIComponent(row.exchange))
          .replace("SYMBOL", encodeURIComponent(row.symbol));
        link.textContent = row.symbol;
        const first = document.createElement("td");
        first.append(link);
        tr.append(first);
        for (const [key, numeric] of [["name"], ["exchange"], ["instrumenttype"], ["expiry"], ["strike", 1], ["lotsize", 1]]) {
          const td = document.createElement("td");
          if (numeric) td.className = "num";
          td.textContent = row[key] === undefined || row[key] === null || (key === "strike" && !(Number(row[key]) > 0)) ? "" : String(row[key]);
          tr.append(td);
        }
        body.append(tr);
      }
    }
    form.addEventListener("input", () => { window.clearTimeout(timer); timer = window.setTimeout(run, 200); });
    form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
    run();
  });
})();
