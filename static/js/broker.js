// Broker page: follows a running master-contract download until it finishes.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("contract");
    if (!box) return;
    const line = document.getElementById("contract-status");
    const retry = document.getElementById("force-download-form");
    const render = (status) => {
      box.dataset.state = status.state;
      if (status.state === "success") line.textContent = `Loaded: ${status.rows} instruments.`;
      else if (status.state === "downloading") line.textContent = `Downloading… ${status.progress || ""}`;
      else if (status.state === "error") line.textContent = `Download failed: ${status.error}`;
      else line.textContent = "Not downloaded yet.";
      retry.hidden = !(status.state === "error" || status.state === "pending");
    };
    const poll = async () => {
      const result = await window.getJSON(box.dataset.statusUrl);
      if (result.ok) render(result.body);
      if (!result.ok || ["downloading", "pending"].includes(result.body.state)) window.setTimeout(poll, 700);
    };
    if (["downloading", "pending"].includes(box.dataset.state)) poll();
  });
})();
