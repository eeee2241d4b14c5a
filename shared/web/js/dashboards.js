// The list of a team's dashboards.

import { get, enc } from "./api.js";
import { h, clear, errorBox, field } from "./dom.js";
import { ago } from "./format.js";
import { prefs } from "./prefs.js";

export async function dashboardsPage(main) {
  const teamSel = h("select", { name: "team" });
  const list = h("div", { class: "dash-list", "aria-live": "polite" });
  clear(main, h("div", { class: "page" }, h("div", { class: "page-head" }, h("h1", { text: "Dashboards" }), field("Team", teamSel)), list));
  async function load() {
    prefs.team = teamSel.value;
    const { dashboards } = await get(`/v1/teams/${enc(teamSel.value)}/dashboards`);
    clear(list, dashboards.length ? h("ul", { class: "cards" }, dashboards.map((d) => h("li", {}, h("a", { class: "dash-card", href: `/d/${enc(d.team_id)}/${enc(d.slug)}` },
      h("strong", { text: d.title }), h("span", { class: "muted", text: d.description || "" }),
      h("small", { class: "muted", text: `${d.slug} · v${d.version} · updated ${ago(d.updated_at)}` })))))
      : h("p", { class: "muted" }, "No dashboards yet. ", h("a", { href: "/#/chat", text: "Ask for one in the chat" }), "."));
  }
  try {
    const { teams } = await get("/v1/teams");
    if (!teams.length) { clear(list, h("p", { class: "muted" }, "No teams yet. ", h("a", { href: "/#/teams", text: "Create one" }), ".")); return; }
    clear(teamSel, teams.map((t) => h("option", { value: t.id, text: t.name })));
    teamSel.value = teams.some((t) => t.id === prefs.team) ? prefs.team : teams[0].id;
    teamSel.addEventListener("change", () => load().catch((err) => clear(list, errorBox(err))));
    await load();
  } catch (err) { clear(list, errorBox(err)); }
}
