// Books pages: fill the table from /<book>/data, sort, filter, export, and run the order actions.
// Every value goes into the page as text (textContent), never as HTML.
(function () {
  "use strict";
  const PENDING = ["open", "trigger pending"];
  const money = (v) => (v === undefined || v === null || v === "" ? "" : Number(v).toLocaleString("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  const BOOKS = {
    orderbook: {
      columns: [["timestamp", "Time"], ["orderid", "Order ID"], ["strategy", "Strategy"], ["symbol", "Symbol"],
        ["exchange", "Exchange"], ["action", "Side"], ["quantity", "Qty", "num"], ["price", "Price", "money"],
        ["trigger_price", "Trigger", "money"], ["pricetype", "Type"], ["product", "Product"], ["order_status", "Status", "status"]],
      stats: [["total_buy_orders", "Buy orders"], ["total_sell_orders", "Sell orders"], ["total_open_orders", "Open"],
        ["total_completed_orders", "Completed"], ["total_rejected_orders", "Rejected"]],
      actions: (row) => PENDING.includes(row.order_status) ? [["Modify", "modify", "btn-outline-primary"], ["Cancel", "cancel", "btn-outline-danger"]] : [],
      refreshSeconds: 3,  // resting orders fill without an order request: look again while any is open
      refreshIf: (rows) => rows.some((row) => PENDING.includes(row.order_status)),
    },
    tradebook: {
      columns: [["timestamp", "Time"], ["orderid", "Order ID"], ["strategy", "Strategy"], ["symbol", "Symbol"],
        ["exchange", "Exchange"], ["product", "Product"], ["action", "Side"], ["quantity", "Qty", "num"],
        ["average_price", "Avg price", "money"], ["trade_value", "Value", "money"]],
      stats: (rows) => [["Trades", rows.length], ["Traded value", money(rows.reduce((s, r) => s + Number(r.trade_value || 0), 0))]],
      actions: () => [],
      refreshSeconds: 5,
    },
    positions: {
      columns: [["symbol", "Symbol"], ["exchange", "Exchange"], ["product", "Product"], ["quantity", "Net qty", "num"],
        ["average_price", "Avg price", "money"], ["ltp", "LTP", "money"], ["pnl", "P&L", "pnl"]],
      stats: (rows) => [["Open positions", rows.filter((r) => Number(r.quantity) !== 0).length],
        ["Total P&L", money(rows.reduce((s, r) => s + Number(r.pnl || 0), 0))]],
      actions: (row) => Number(row.quantity) !== 0 ? [["Close", "close", "btn-outline-danger"]] : [],
      refreshSeconds: 5,
    },
    holdings: {
      columns: [["symbol", "Symbol"], ["exchange", "Exchange"], ["product", "Product"], ["quantity", "Qty", "num"],
        ["average_price", "Avg price", "money"], ["pnl", "P&L", "pnl"], ["pnlpercent", "P&L %", "pnl"]],
      stats: [["totalholdingvalue", "Holding value"], ["totalinvvalue", "Invested"], ["totalprofitandloss", "P&L"],
        ["totalpnlpercentage", "P&L %"]],
      actions: () => [],
      refreshSeconds: 10,
    },
  };

  function cell(row, [key, , kind]) {
    const td = document.createElement("td");
    const value = row[key];
    if (kind === "money" || kind === "num" || kind === "pnl") td.className = "num";
    if (kind === "pnl") td.classList.add(Number(value) >= 0 ? "pnl-pos" : "pnl-neg");
    if (kind === "status") {
      const badge = document.createElement("span");
      const colour = { complete: "success", rejected: "danger", cancelled: "secondary", open: "primary" }[value] || "warning";
      badge.className = `badge text-bg-${colour}`;
      badge.textContent = value;
      td.append(badge);
    } else {
      td.textContent = kind === "money" || kind === "pnl" ? money(value) : (value === undefined || value === null ? "" : String(value));
    }
    return td;
  }

  function statCard(label, value) {
    const col = document.createElement("div");
    col.className = "col-6 col-md-4 col-lg-2";
    const card = document.createElement("div");
    card.className = "card card-body py-2 stat-card";
    const l = document.createElement("div"); l.className = "label"; l.textContent = label;
    const v = document.createElement("div"); v.className = "value"; v.textContent = String(value);
    card.append(l, v); col.append(card);
    return col;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const table = document.getElementById("book-table");
    if (!table) return;
    const book = table.dataset.book;
    const config = BOOKS[book];
    const filters = document.getElementById("filters");
    const errorBox = document.getElementById("book-error");
    let rows = [];
    let sort = { key: null, dir: 1 };

    const headRow = table.tHead.rows[0];
    config.columns.forEach(([key, label, kind]) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.className = "sortable" + (kind && kind !== "status" ? " num" : "");
      th.dataset.key = key;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", () => {
        sort = { key, dir: sort.key === key ? -sort.dir : 1 };
        headRow.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", sort.dir === 1 ? "ascending" : "descending");
        render();
      });
      th.append(button);
      headRow.append(th);
    });
    const actionsHead = document.createElement("th");
    actionsHead.scope = "col";
    actionsHead.innerHTML = '<span class="visually-hidden">Actions</span>';
    headRow.append(actionsHead);

    const query = () => new URLSearchParams(new FormData(filters)).toString();

    function sorted() {
      if (!sort.key) return rows;
      const key = sort.key;
      return [...rows].sort((a, b) => {
        let x = a[key], y = b[key];
        if (key === "timestamp") { x = Date.parse(String(x).replace(/-/g, " ")) || x; y = Date.parse(String(y).replace(/-/g, " ")) || y; }
        const nx = Number(x), ny = Number(y);
        const cmp = (!isNaN(nx) && !isNaN(ny) && x !== "" && y !== "") ? nx - ny : String(x).localeCompare(String(y));
        return cmp * sort.dir;
      });
    }

    function render() {
      const body = table.tBodies[0];
      body.replaceChildren();
      for (const row of sorted()) {
        const tr = document.createElement("tr");
        if (row.orderid) tr.dataset.orderid = row.orderid;
        config.columns.forEach((column) => tr.append(cell(row, column)));
        const td = document.createElement("td");
        td.className = "text-nowrap";
        for (const [label, action, style] of config.actions(row)) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = `btn btn-sm ${style} me-1`;
          button.textContent = label;
          button.dataset.action = action;
          button.setAttribute("aria-label", `${label} ${row.orderid ? "order " + row.orderid : row.symbol}`);
          button.addEventListener("click", () => ACTIONS[action](row));
          td.append(button);
        }
        tr.append(td);
        body.append(tr);
      }
      if (!rows.length) {
        const tr = document.createElement("tr");
        const td = document.createElement("td");
        td.colSpan = config.columns.length + 1;
        td.className = "text-body-secondary";
        td.textContent = "Nothing to show.";
        tr.append(td); body.append(tr);
      }
    }

    function renderStats(data) {
      const box = document.getElementById("stats");
      box.replaceChildren();
      const pairs = typeof config.stats === "function" ? config.stats(data.rows)
        : config.stats.map(([key, label]) => [label, data.statistics[key] ?? 0]);
      pairs.forEach(([label, value]) => box.append(statCard(label, value)));
    }

    async function load() {
      const result = await window.getJSON(`${table.dataset.url}?${query()}`);
      if (!result.ok) {
        errorBox.textContent = result.body.message || "Could not load the book.";
        errorBox.classList.remove("d-none");
        rows = [];
      } else {
        errorBox.classList.add("d-none");
        rows = result.body.data.rows;
        renderStats(result.body.data);
        document.getElementById("book-count").textContent =
          `${rows.length} of ${result.body.data.total} shown` + (result.body.data.mode === "analyze" ? " (analyzer mode)" : "");
      }
      document.getElementById("export-csv").href = `${table.dataset.exportUrl}?${query()}`;
      render();
      table.dataset.loaded = String(Date.now());
    }

    async function run(url, body, done) {
      const result = await window.postJSON(url, body);
      const message = result.body.message || (result.ok ? done : "Failed");
      window.showToast(result.ok ? `${done}${result.body.message ? ": " + result.body.message : ""}` : message,
        result.ok ? "success" : "danger");
      load();
      return result;
    }

    const ACTIONS = {
      cancel: async (row) => {
        if (await window.confirmAction(`Cancel order ${row.orderid} (${row.action} ${row.quantity} ${row.symbol})?`, "Cancel order")) {
          run(table.dataset.cancelUrl, { orderid: row.orderid }, `Order ${row.orderid} cancelled`);
        }
      },
      modify: (row) => openModify(row),
      close: async (row) => {
        if (await window.confirmAction(`Close the ${row.product} position of ${row.quantity} ${row.symbol} at market?`, "Close position")) {
          run(table.dataset.closeUrl, { symbol: row.symbol, exchange: row.exchange, product: row.product }, `Closing ${row.symbol}`);
        }
      },
    };

    const cancelAll = document.getElementById("cancel-all");
    if (cancelAll) cancelAll.addEventListener("click", async () => {
      if (await window.confirmAction("Cancel every open order?", "Cancel all")) run(table.dataset.cancelAllUrl, {}, "Cancel all");
    });
    const closeAll = document.getElementById("close-all");
    if (closeAll) closeAll.addEventListener("click", async () => {
      if (await window.confirmAction("Close every open position at market?", "Close all")) run(table.dataset.closeAllUrl, {}, "Close all");
    });

    let modifying = null;
    function openModify(row) {
      modifying = row;
      document.getElementById("modify-summary").textContent = `Order ${row.orderid}: ${row.action} ${row.symbol} (${row.exchange}, ${row.product})`;
      document.getElementById("modify-pricetype").value = row.pricetype;
      document.getElementById("modify-quantity").value = row.quantity;
      document.getElementById("modify-price").value = row.price;
      document.getElementById("modify-trigger").value = row.trigger_price;
      document.getElementById("modify-error").textContent = "";
      window.bootstrap.Modal.getOrCreateInstance(document.getElementById("modify-modal")).show();
    }
    const modifyForm = document.getElementById("modify-form");
    if (modifyForm) modifyForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(modifyForm);
      const row = modifying;
      const body = { orderid: row.orderid, symbol: row.symbol, exchange: row.exchange, action: row.action,
        product: row.product, pricetype: form.get("pricetype"), quantity: form.get("quantity"),
        price: form.get("price") || 0, trigger_price: form.get("trigger_price") || 0, disclosed_quantity: 0 };
      const result = await window.postJSON(table.dataset.modifyUrl, body);
      if (!result.ok) { document.getElementById("modify-error").textContent = result.body.message || "Modify failed"; return; }
      window.bootstrap.Modal.getOrCreateInstance(document.getElementById("modify-modal")).hide();
      window.showToast(`Order ${row.orderid} modified`, "success");
      load();
    });

    let timer = null;
    filters.addEventListener("input", () => { window.clearTimeout(timer); timer = window.setTimeout(load, 250); });
    filters.addEventListener("reset", () => window.setTimeout(load, 0));
    filters.addEventListener("submit", (event) => { event.preventDefault(); load(); });
    document.addEventListener("openalgo:orders", () => load());
    if (config.refreshSeconds) {
      window.setInterval(() => {
        if (!document.hidden && (!config.refreshIf || config.refreshIf(rows))) load();
      }, config.refreshSeconds * 1000);
    }
    load();
  });
})();
