// The list of a team's dashboards: search, owner filter, sort; owner and updated time on each card.

import { getAll, enc, session } from "./api.js";
import { h, clear, errorBox, field } from "./dom.js";
import { ago } from "./format.js";
import { prefs } from "./prefs.js";

const SORTS = {
  updated: ["Recently updated", (a, b) => b.updated_at.localeCompare(a.updated_at)],
  title: ["Title A–Z", (a, b) => a.title.localeCompare(b.title)],
  owner: ["Owner", (a, b) => (a.owner || "").localeCompare(b.owner || "") || a.title.localeCompare(b.title)],
};

export async function dashboardsPage(main) {
  const teamSel = h("select", { name: "team" });
  const search = h("input", { type: "search", name: "q", placeholder: "Title, slug or description", autocomplete: "off" });
  const owner = h("select", { name: "owner" });
  const sort = h("select", { name: "sort" }, Object.entries(SORTS).map(([k, [label]]) => h("option", { value: k, text: label })));
  const count = h("p", { class: "muted small", role: "status" });
  const list = h("div", { class: "dash-list", "aria-live": "polite" });
  const tools = h("div", { class: "list-tools", hidden: true }, field("Search", search), field("Owner", owner), field("Sort by", sort));
  clear(main, h("div", { class: "page" }, h("div", { class: "page-head" }, h("h1", { text: "Dashboards" }), field("Team", teamSel)), tools, count, list));
  let all = [];

  function draw() {
    const q = search.value.trim().toLowerCase();
    const shown = all
      .filter((d) => !q || [d.title, d.slug, d.description || ""].some((x) => x.toLowerCase().includes(q)))
      .filter((d) => !owner.value || d.owner === owner.value)
      .sort(SORTS[sort.value][1]);
    count.textContent = all.length ? `${shown.length} of ${all.length} dashboards` : "";
    if (!all.length) {
      clear(list, h("div", { class: "empty-state" }, h("p", { text: "No dashboards yet." }), h("p", {}, h("a", { class: "btn primary", href: "/#/chat", text: "Ask for one in the chat" }))));
      return;
    }
    clear(list, shown.length ? h("ul", { class: "cards" }, shown.map((d) => h("li", {}, h("a", { class: "dash-card", href: `/d/${enc(d.team_id)}/${enc(d.slug)}`, dataset: { slug: d.slug } },
      h("strong", { text: d.title }), h("span", { class: "muted", text: d.description || "" }),
      h("small", { class: "muted", text: `${d.owner === session.email ? "you" : d.owner} · updated ${ago(d.updated_at)} · v${d.version}` })))))
      : h("p", { class: "muted", text: "No dashboard matches. Clear the search or pick another owner." }));
  }

  async function load() {
    prefs.team = teamSel.value;
    ({ dashboards: all } = await getAll(`/v1/teams/${enc(teamSel.value)}/dashboards`, "dashboards"));
    const owners = [...new Set(all.map((d) => d.owner).filter(Boolean))].sort();
    clear(owner, h("option", { value: "", text: "Anyone" }), owners.map((o) => h("option", { value: o, text: o === session.email ? `${o} (you)` : o })));
    tools.hidden = !all.length;
    draw();
  }

  for (const control of [search, owner, sort]) control.addEventListener("input", draw);
  try {
    const { teams } = await getAll("/v1/teams", "teams");
    if (!teams.length) { clear(list, h("div", { class: "empty-state" }, h("p", {}, "You are not in a team yet. ", h("a", { href: "/#/teams", text: "Create one" }), " and add a connection; then ask for a dashboard in the chat."))); return; }
    clear(teamSel, teams.map((t) => h("option", { value: t.id, text: t.name })));
    teamSel.value = teams.some((t) => t.id === prefs.team) ? prefs.team : teams[0].id;
    teamSel.addEventListener("change", () => load().catch((err) => clear(list, errorBox(err))));
    await load();
  } catch (err) { clear(list, errorBox(err)); }
}
