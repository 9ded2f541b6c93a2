// emrflow console: refreshes the live part of a page in place while something runs, and
// loads a step's log tails when the step is opened. No framework, nothing fetched from
// elsewhere. Errors are kept in window.emrflowErrors so the browser tests can see them.
"use strict";
window.emrflowErrors = [];
window.addEventListener("error", (event) => {
  window.emrflowErrors.push(String(event.message || event.type));
}, true);
window.addEventListener("unhandledrejection", (event) => {
  window.emrflowErrors.push("unhandled: " + String(event.reason));
});
document.addEventListener("securitypolicyviolation", (event) => {
  window.emrflowErrors.push("blocked by the content security policy: " + event.violatedDirective);
});
// Set once per page load: a test that finds it unchanged knows the page was not reloaded.
window.emrflowLoadedAt = Date.now();

function loadLogs(root) {
  root.querySelectorAll("details[open] [data-log-src]").forEach((target) => {
    const source = target.getAttribute("data-log-src");
    target.removeAttribute("data-log-src");
    fetch(source, { headers: { Accept: "text/html" } })
      .then((response) => response.text())
      .then((html) => { target.innerHTML = html; })
      .catch((error) => { target.textContent = "The log could not be loaded: " + error; });
  });
}

function watchSteps(root) {
  root.querySelectorAll("details.step").forEach((details) => {
    details.addEventListener("toggle", () => loadLogs(details.parentElement || document));
  });
}

function refresh() {
  const live = document.getElementById("live");
  if (!live || live.getAttribute("data-live") !== "active") return;
  const seconds = Number(live.getAttribute("data-interval")) || 5;
  window.setTimeout(() => {
    const url = new URL(window.location.href);
    url.searchParams.set("fragment", "live");
    const open = Array.from(live.querySelectorAll("details[open]"), (d) => d.id).filter(Boolean);
    fetch(url, { headers: { Accept: "text/html" } })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const fresh = holder.querySelector("#live");
        if (!fresh) return;
        open.forEach((id) => { const d = fresh.querySelector("#" + CSS.escape(id)); if (d) d.open = true; });
        live.replaceWith(fresh);
        watchSteps(fresh);
        loadLogs(fresh);
      })
      .catch(() => { /* the console may be restarting: try again at the next tick */ })
      .finally(refresh);
  }, seconds * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  watchSteps(document);
  loadLogs(document);
  refresh();
});
