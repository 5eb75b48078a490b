// Dashboard: the intraday P&L chart (lightweight-charts) and the live section refreshed on order events.
(function () {
  "use strict";
  const IST_OFFSET = 19800;  // the chart shows UTC; shift so the axis reads IST
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function chartColours() {
    return { layout: { background: { color: "transparent" }, textColor: css("--bs-body-color"), attributionLogo: false },
      grid: { vertLines: { color: css("--bs-border-color-translucent") }, horzLines: { color: css("--bs-border-color-translucent") } } };
  }

  async function drawPnl() {
    const box = document.getElementById("pnl-chart");
    if (!box || !window.LightweightCharts) return;
    const result = await window.getJSON(box.dataset.url);
    const note = document.getElementById("pnl-note");
    const points = result.ok ? result.body.points : [];
    note.textContent = result.ok ? (result.body.note || "") : "P&L curve unavailable.";
    if (!box.chart) {
      box.chart = window.LightweightCharts.createChart(box, { autoSize: true, ...chartColours(),
        timeScale: { timeVisible: true, secondsVisible: false }, rightPriceScale: { borderVisible: false } });
      box.series = box.chart.addSeries(window.LightweightCharts.BaselineSeries, { baseValue: { type: "price", price: 0 } });
      document.addEventListener("openalgo:theme", () => box.chart.applyOptions(chartColours()));
    }
    box.series.setData(points.map((p) => ({ time: p.time + IST_OFFSET, value: p.value })));
    box.chart.timeScale().fitContent();
  }

  async function refreshLive() {
    const live = document.getElementById("dashboard-live");
    if (!live) return;
    const response = await fetch(live.dataset.liveUrl, { credentials: "same-origin" });
    if (response.ok && !response.redirected) {
      // our own server-rendered, escaped fragment
      live.innerHTML = await response.text();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawPnl();
    document.addEventListener("openalgo:orders", () => { refreshLive(); drawPnl(); });
  });
})();
