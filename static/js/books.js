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
    let statistics = null;   // the order book's counts, kept current by its order events
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
        statistics = result.body.data.statistics;
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
    const reload = (delay) => { window.clearTimeout(timer); timer = window.setTimeout(load, delay); };
    filters.addEventListener("input", () => reload(250));
    filters.addEventListener("reset", () => reload(0));
    filters.addEventListener("submit", (event) => { event.preventDefault(); load(); });

    // The order book follows the user's order events on the WebSocket proxy (subscribe_orders, the
    // stream scripts get): a known order's row changes in place, with the statistics; an order the page
    // does not show yet (or that leaves the status filter) re-reads the book, which applies the filters
    // and strategy tags. While that stream is up the page neither polls nor re-reads on the dashboard's
    // server-sent events; when it closes, both take over again.
    let streaming = false;
    let drawing = 0;
    const STAT_OF = { open: "total_open_orders", complete: "total_completed_orders", rejected: "total_rejected_orders",
      "trigger pending": "total_trigger_pending_orders" };

    function applyUpdate(event) {
      const row = rows.find((r) => String(r.orderid) === String(event.orderid));
      const status = filters.elements.status ? filters.elements.status.value : "";
      if (!row || (status && status !== event.order_status)) { reload(100); return; }
      const before = row.order_status;
      const now = { order_status: event.order_status, quantity: event.quantity, pricetype: event.pricetype,
        price: event.pricetype === "MARKET" ? 0 : event.price, trigger_price: event.trigger_price };
      if (Object.keys(now).every((key) => String(row[key]) === String(now[key]))) return;  // e.g. the snapshot
      Object.assign(row, now);
      if (statistics && before !== event.order_status) {
        if (STAT_OF[before] in statistics) statistics[STAT_OF[before]] -= 1;
        if (STAT_OF[event.order_status] in statistics) statistics[STAT_OF[event.order_status]] += 1;
        renderStats({ rows, statistics });
      }
      if (!drawing) drawing = window.requestAnimationFrame(() => { drawing = 0; render(); });   // one redraw per burst
      if (!event.snapshot && before !== event.order_status && ["complete", "rejected"].includes(event.order_status)) {
        window.showToast(`Order ${event.orderid} ${event.order_status} (${event.action} ${event.quantity} ${event.symbol})`
          + (event.rejection_reason ? `: ${event.rejection_reason}` : ""), event.order_status === "complete" ? "success" : "danger");
      }
      table.dataset.updates = String(Number(table.dataset.updates || 0) + 1);
    }

    async function followOrders() {
      const key = await window.postJSON(table.dataset.keyUrl);
      if (!key.ok) return;
      const socket = new WebSocket(table.dataset.feedUrl);
      socket.addEventListener("open", () => socket.send(JSON.stringify({ action: "authenticate", api_key: key.body.apikey })));
      socket.addEventListener("message", (message) => {
        const frame = JSON.parse(message.data);
        if (frame.type === "auth" && frame.status === "success") {
          socket.send(JSON.stringify({ action: "subscribe_orders" }));
        } else if (frame.type === "subscribe_orders" && frame.status === "success") {
          streaming = true;
          table.dataset.feed = "live";
        } else if (frame.type === "order_update") {
          applyUpdate(frame);
        }
      });
      socket.addEventListener("close", () => {
        if (streaming) reload(0);   // what happened while it closed
        streaming = false;
        delete table.dataset.feed;
      });
      window.addEventListener("pagehide", () => socket.close());
    }

    document.addEventListener("openalgo:orders", () => { if (!streaming) load(); });
    if (config.refreshSeconds) {
      window.setInterval(() => {
        if (!streaming && !document.hidden && (!config.refreshIf || config.refreshIf(rows))) load();
      }, config.refreshSeconds * 1000);
    }
    load().then(() => { if (book === "orderbook" && table.dataset.feedUrl) followOrders(); });
  });
})();
