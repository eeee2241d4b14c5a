// Bridge web app: a small router over the public /v1 API.

import { session, onUnauthorized } from "./js/api.js";
import { h, clear, toast } from "./js/dom.js";
import { signInPage } from "./js/signin.js";
import { chatPage } from "./js/chat.js";
import { teamsPage } from "./js/teams.js";
import { dashboardsPage } from "./js/dashboards.js";
import { mountDashboard } from "./js/dashboard.js";

const main = document.getElementById("main");
const nav = document.querySelector(".nav");
const who = document.querySelector(".who");
let cleanup = null;

function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, "");
  if (hash) return hash.split("?")[0].split("/");
  const m = location.pathname.match(/^\/d\/([^/]+)\/([^/]+)\/?$/);
  if (m) return ["d", decodeURIComponent(m[1]), decodeURIComponent(m[2])];
  return ["chat"];
}

function chrome(signedIn, name) {
  nav.hidden = !signedIn;
  who.hidden = !signedIn;
  who.querySelector(".who-email").textContent = session.email || "";
  for (const a of nav.querySelectorAll("a")) {
    if (a.dataset.route === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

async function render() {
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  const [name, ...args] = currentRoute();
  if (!session.token) {
    chrome(false);
    document.title = "Sign in · Bridge";
    return signInPage(main, render);
  }
  chrome(true, name === "d" ? "dashboards" : name);
  const titles = { chat: "Chat", teams: "Teams", dashboards: "Dashboards" };
  document.title = `${titles[name] || "Dashboard"} · Bridge`;
  if (name === "d" && args.length === 2) {
    const mounted = mountDashboard(main, args[0], args[1], { initialQuery: location.search.slice(1) });
    cleanup = mounted.destroy;
    return;
  }
  if (name === "teams") return teamsPage(main);
  if (name === "dashboards") return dashboardsPage(main);
  if (name !== "chat") {
    clear(main, h("div", { class: "page" }, h("h1", { text: "Not found" }), h("p", {}, h("a", { href: "/#/chat", text: "Back to the chat" }))));
    return;
  }
  cleanup = await chatPage(main);
}

onUnauthorized(() => {
  session.signOut();
  toast("Your session expired. Sign in again.");
  render();
});

who.querySelector(".sign-out").addEventListener("click", () => {
  session.signOut();
  location.hash = "";
  render();
});

window.addEventListener("hashchange", () => { render(); main.focus({ preventScroll: true }); });
render();
