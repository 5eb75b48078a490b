// Sandbox P&L report: the day-by-day chart (daily net P&L as bars, cumulative net as a line) drawn with
// lightweight-charts from the history the page embeds (data-days).
(function () {
  "use strict";
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function colours() {
    return { layout: { background: { color: "transparent" }, textColor: css("--bs-body-color"), attributionLogo: false },
      grid: { vertLines: { color: css("--bs-border-color-translucent") }, horzLines: { color: css("--bs-border-color-translucent") } } };
  }

  function draw() {
    const box = document.getElementById("history-chart");
    if (!box || !window.LightweightCharts) return;
    const days = JSON.parse(box.dataset.days || "[]");
    const charts = window.LightweightCharts;
    const chart = charts.createChart(box, { autoSize: true, ...colours(), rightPriceScale: { borderVisible: false } });
    const up = css("--bs-success"), down = css("--bs-danger");
    const bars = chart.addSeries(charts.HistogramSeries, { title: "Day" });
    bars.setData(days.map((d) => ({ time: d.date, value: d.net_pnl, color: d.net_pnl >= 0 ? up : down })));
    const line = chart.addSeries(charts.LineSeries, { title: "Cumulative", lineWidth: 2, color: css("--bs-primary") });
    line.setData(days.map((d) => ({ time: d.date, value: d.cumulative_pnl })));
    chart.timeScale().fitContent();
    document.addEventListener("openalgo:theme", () => chart.applyOptions(colours()));
    box.dataset.drawn = String(days.length);
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
