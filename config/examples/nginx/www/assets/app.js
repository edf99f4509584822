// The whole "application": show the route it was loaded for, and what the API says.
const app = document.getElementById("app");
app.textContent = `Route: ${location.pathname}`;
fetch("/api/status")
  .then((r) => r.json())
  .then((body) => app.append(` (API ok: ${body.ok})`))
  .catch(() => app.append(" (API unavailable)"));
