// Symbol page: candlestick chart (lightweight-charts) with an interval picker, quote and 5-level depth.
// Quote and depth refresh every 2 seconds from the same data services as the API; the forming candle
// follows the market-data WebSocket (LTP mode, signed in with the user's API key) when the proxy runs.
(function () {
  "use strict";
  const IST_OFFSET = 19800;  // the chart shows UTC; shift so the axis reads IST
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const fmt = (v) => (v === undefined || v === null ? "—" : Number(v).toLocaleString("en-IN", { maximumFractionDigits: 2 }));

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.getElementById("symbol-page");
    if (!page || !window.LightweightCharts) return;
    const errorBox = document.getElementById("symbol-error");
    const box = document.getElementById("price-chart");
    const colours = () => ({ layout: { background: { color: "transparent" }, textColor: css("--bs-body-color"), attributionLogo: false },
      grid: { vertLines: { color: css("--bs-border-color-translucent") }, horzLines: { color: css("--bs-border-color-translucent") } } });
    const chart = window.LightweightCharts.createChart(box, { autoSize: true, ...colours(),
      timeScale: { timeVisible: true, secondsVisible: false } });
    const series = chart.addSeries(window.LightweightCharts.CandlestickSeries, {});
    document.addEventListener("openalgo:theme", () => chart.applyOptions(colours()));
    let interval = "5m", last = null;

    const showError = (text) => { errorBox.textContent = text; errorBox.classList.toggle("d-none", !text); };

    async function loadHistory() {
      const result = await window.getJSON(`${page.dataset.historyUrl}?interval=${encodeURIComponent(interval)}`);
      if (!result.ok) { showError(result.body.message || "No chart data."); series.setData([]); last = null; return; }
      showError("");
      const bars = result.body.data.map((c) => ({ time: c.timestamp + IST_OFFSET, open: c.open, high: c.high, low: c.low, close: c.close }));
      series.setData(bars);
      last = bars.length ? bars[bars.length - 1] : null;
      chart.timeScale().fitContent();
    }

    function renderDepth(depth) {
      const body = document.querySelector("#depth tbody");
      body.replaceChildren();
      for (let i = 0; i < 5; i++) {
        const bid = depth.bids[i] || {}, ask = depth.asks[i] || {};
        const tr = document.createElement("tr");
        for (const [value, cls] of [[bid.quantity, "pnl-pos"], [bid.price, "pnl-pos"], [ask.price, "pnl-neg"], [ask.quantity, "pnl-neg"]]) {
          const td = document.createElement("td");
          td.className = `num ${cls}`;
          td.textContent = fmt(value);
          tr.append(td);
        }
        body.append(tr);
      }
    }

    async function loadBook() {
      const result = await window.getJSON(page.dataset.bookUrl);
      if (!result.ok) { showError(result.body.message || "No quote."); return; }
      const q = result.body.quote;
      document.getElementById("quote-ltp").textContent = fmt(q.ltp);
      const change = document.getElementById("quote-change");
      if (q.prev_close) {
        const diff = q.ltp - q.prev_close;
        change.textContent = `${diff >= 0 ? "+" : ""}${fmt(diff)} (${fmt((diff / q.prev_close) * 100)}%)`;
        change.className = `num ${diff >= 0 ? "pnl-pos" : "pnl-neg"}`;
      }
      document.querySelectorAll("[data-quote]").forEach((dd) => { dd.textContent = fmt(q[dd.dataset.quote]); });
      renderDepth(result.body.depth);
      moveCandle(q.ltp);
    }

    function moveCandle(ltp) {
      if (!last || !ltp) return;
      last = { ...last, close: ltp, high: Math.max(last.high, ltp), low: Math.min(last.low, ltp) };
      series.update(last);
      document.getElementById("quote-ltp").textContent = fmt(ltp);
    }

    async function followFeed() {
      if (!page.dataset.feedUrl) return;
      const key = await window.postJSON(page.dataset.keyUrl);
      if (!key.ok) return;
      const socket = new WebSocket(page.dataset.feedUrl);
      const badge = document.getElementById("feed-state");
      socket.addEventListener("open", () => socket.send(JSON.stringify({ action: "authenticate", api_key: key.body.apikey })));
      socket.addEventListener("message", (message) => {
        const frame = JSON.parse(message.data);
        if (frame.type === "auth" && frame.status === "success") {
          socket.send(JSON.stringify({ action: "subscribe", symbol: page.dataset.symbol, exchange: page.dataset.exchange, mode: 1 }));
        } else if (frame.type === "subscribe" && frame.status === "success") {
          badge.classList.remove("d-none");
        } else if (frame.type === "market_data" && frame.symbol === page.dataset.symbol) {
          page.dataset.ticks = String(Number(page.dataset.ticks || 0) + 1);
          moveCandle(frame.data.ltp);
        }
      });
      socket.addEventListener("close", () => badge.classList.add("d-none"));
      window.addEventListener("pagehide", () => socket.close());
    }

    document.querySelectorAll("#interval-picker [data-interval]").forEach((button) => {
      button.addEventListener("click", () => {
        interval = button.dataset.interval;
        document.querySelectorAll("#interval-picker [data-interval]").forEach((b) => {
          b.classList.toggle("active", b === button);
          b.setAttribute("aria-pressed", b === button ? "true" : "false");
        });
        loadHistory();
      });
    });
    loadHistory().then(loadBook).then(followFeed);
    window.setInterval(() => { if (!document.hidden) loadBook(); }, 2000);
  });
})();
