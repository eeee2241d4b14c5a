// Teams and connections: create, validate, scan, delete, browse the catalog; settings and members.

import { api, get, getAll, post, enc } from "./api.js";
import { h, clear, errorBox, field, toast, spinner } from "./dom.js";
import { formatCount, formatBytes, ago } from "./format.js";
import { prefs } from "./prefs.js";
import { teamSettings } from "./team_settings.js";
import { knowledgeSection } from "./knowledge.js";

export async function teamsPage(main) {
  const teamList = h("ul", { class: "list teams-list" });
  const nameInput = h("input", { name: "name", required: true, maxlength: 200, autocomplete: "off" });
  const createForm = h("form", { class: "inline-form" }, field("New team", nameInput), h("button", { type: "submit", class: "btn", text: "Create team" }));
  const detail = h("section", { class: "team-detail", "aria-live": "polite" });
  const msg = h("div");
  clear(main, h("div", { class: "page two-col" },
    h("section", { class: "side" }, h("h1", { text: "Teams" }), msg, teamList, createForm),
    detail));

  async function loadTeams() {
    const { teams } = await getAll("/v1/teams", "teams");
    clear(teamList, teams.length ? teams.map((t) => h("li", {}, h("button", {
      type: "button", class: `list-item${t.id === prefs.team ? " selected" : ""}`, "aria-pressed": String(t.id === prefs.team),
      onclick: () => { prefs.team = t.id; loadTeams(); showTeam(t); },
    }, h("strong", { text: t.name }), h("small", { class: "muted", text: t.role || "" })))) : h("li", { class: "muted", text: "No teams yet." }));
    const current = teams.find((t) => t.id === prefs.team) || teams[0];
    if (current && !detail.dataset.team) showTeam(current);
    return teams;
  }

  createForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const team = await post("/v1/teams", { name: nameInput.value.trim() });
      nameInput.value = "";
      prefs.team = team.id;
      detail.dataset.team = "";
      await loadTeams(); // shows the new team: it is the remembered one now
      toast(`Team ${team.name} created`);
    } catch (err) { clear(msg, errorBox(err)); }
  });

  async function showTeam(team) {
    detail.dataset.team = team.id;
    const conns = h("div", { class: "connections" }, spinner());
    const catalog = h("div", { class: "catalog" });
    const settings = h("div", {}, spinner());
    const knowledge = h("div", { class: "knowledge" });
    clear(detail, h("h2", { text: team.name }), h("h3", { text: "Connections" }), conns, connectionForm(team, () => loadConns()), catalog, settings, knowledge);
    let admin = team.role === "admin";
    async function loadConns() {
      try {
        const { connections } = await getAll(`/v1/teams/${enc(team.id)}/connections`, "connections");
        clear(conns, connections.length ? h("ul", { class: "list" }, connections.map((c) => connectionRow(c, loadConns, catalog, admin))) : h("p", { class: "muted", text: "No connections yet. Add one below." }));
      } catch (err) { clear(conns, errorBox(err)); }
    }
    try {
      const loaded = await teamSettings(team);
      admin = loaded.admin;
      clear(settings, loaded.box);
    } catch (err) { clear(settings, errorBox(err)); }
    try { await knowledgeSection(knowledge, team, admin); } catch (err) { clear(knowledge, errorBox(err)); }
    await loadConns();
  }

  try { await loadTeams(); } catch (err) { clear(msg, errorBox(err)); }
}

function connectionRow(c, reload, catalogEl, admin) {
  const out = h("span", { class: "muted small" });
  const act = (label, fn) => {
    const button = h("button", { type: "button", class: "btn small", text: label });
    button.addEventListener("click", async () => {
      button.disabled = true;
      clear(out, spinner(), ` ${label}…`);
      try { await fn(); } catch (err) { clear(out, errorBox(err)); } finally { button.disabled = false; }
    });
    return button;
  };
  return h("li", { class: "conn" },
    h("div", {}, h("strong", { text: c.name }), " ", h("span", { class: `badge ${c.status}`, text: c.status }),
      h("div", { class: "muted small", text: `${c.warehouse_type}${c.project ? ` · ${c.project}` : ""}${c.scanned_at ? ` · scanned ${ago(c.scanned_at)}` : " · not scanned"}` }),
      c.last_error ? h("div", { class: "error-text small", text: c.last_error }) : null,
      c.auth === "keyless" ? h("details", { class: "grant small" }, h("summary", { text: `Keyless: grant ${c.service_account} on ${c.project}` }),
        h("pre", { class: "grant-commands", text: (c.grant_commands || []).join("\n") })) : null, out),
    h("div", { class: "row-actions" },
      act("Validate", async () => { const r = await post(`/v1/connections/${enc(c.id)}/validate`, {}); toast(r.status === "valid" ? "Connection is valid" : `Invalid: ${r.error}`); await reload(); }),
      act("Scan", async () => { const r = await post(`/v1/connections/${enc(c.id)}/scan`, {}); toast(`Scanned ${r.datasets} datasets, ${r.tables} tables`); await reload(); }),
      act("Catalog", async () => { await showCatalog(c, catalogEl); clear(out); }),
      admin ? act("Delete", async () => {
        if (!window.confirm(`Delete connection ${c.name} with its catalog and chats?`)) { clear(out); return; }
        await api("DELETE", `/v1/teams/${enc(c.team_id)}/connections/${enc(c.id)}`);
        toast(`Connection ${c.name} deleted`);
        await reload();
      }) : null));
}

// Every page of the catalog (paged by table), a dataset's tables merged across pages.
async function catalogOf(c) {
  const datasets = new Map();
  for (const d of (await getAll(`/v1/connections/${enc(c.id)}/catalog`, "datasets")).datasets) {
    const seen = datasets.get(d.fully_qualified_name);
    if (seen) seen.tables.push(...d.tables); else datasets.set(d.fully_qualified_name, { ...d, tables: [...d.tables] });
  }
  const byName = (a, b) => (a.fully_qualified_name < b.fully_qualified_name ? -1 : 1);
  return { datasets: [...datasets.values()].sort(byName) };
}

async function showCatalog(c, el) {
  const cat = await catalogOf(c);
  clear(el, h("h3", { text: `Catalog of ${c.name}` }),
    cat.datasets.length ? cat.datasets.map((d) => h("details", { class: "dataset", open: cat.datasets.length === 1 },
      h("summary", {}, h("strong", { text: d.fully_qualified_name }), h("span", { class: "muted", text: ` · ${d.tables.length} tables` })),
      h("ul", { class: "tables" }, d.tables.map((t) => h("li", {}, h("details", { dataset: { table: t.fully_qualified_name } },
        h("summary", {}, h("code", { text: t.fully_qualified_name.split(".").pop() }), h("span", { class: "muted", text: ` ${formatCount(t.row_count)} rows · ${formatBytes(t.size_bytes)}` })),
        t.description ? h("p", { class: "muted", text: t.description }) : null,
        h("table", { class: "columns" }, h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Column" }), h("th", { scope: "col", text: "Type" }))),
          h("tbody", {}, (t.columns || []).map((col) => h("tr", {}, h("td", {}, h("code", { text: col.name })), h("td", { class: "muted", text: col.type })))))))))))
      : h("p", { class: "muted", text: "Nothing scanned yet. Press Scan." }));
  el.scrollIntoView({ block: "start", behavior: "smooth" });
}

function connectionForm(team, done) {
  const type = h("select", { name: "warehouse_type" }, h("option", { value: "duckdb", text: "DuckDB file (local)" }), h("option", { value: "bigquery", text: "BigQuery" }));
  const name = h("input", { name: "name", required: true, maxlength: 200, autocomplete: "off" });
  const path = h("input", { name: "path", placeholder: "/path/to/file.duckdb" });
  const project = h("input", { name: "project", placeholder: "my-gcp-project" });
  const location = h("input", { name: "location", placeholder: "EU" });
  const creds = h("textarea", { name: "credentials", rows: 4, placeholder: "{ \"type\": \"service_account\", … }" });
  const auth = h("select", { name: "auth" }, h("option", { value: "keyless", text: "Keyless: grant Bridge's account (no key)" }), h("option", { value: "key", text: "Service-account key" }));
  const keyField = field("Service-account key JSON", creds, "Stored encrypted.");
  keyField.hidden = true;
  auth.addEventListener("change", () => { keyField.hidden = auth.value !== "key"; });
  const duck = h("div", { class: "only-duckdb" }, field("DuckDB path", path));
  const bq = h("div", { class: "only-bigquery", hidden: true }, field("Location", location), field("Access", auth, "Keyless shows the gcloud grant to run once it is added."), keyField);
  const msg = h("div");
  const form = h("form", { class: "card-form" }, field("Name", name), field("Warehouse", type), field("Project", project), duck, bq, msg, h("button", { type: "submit", class: "btn primary", text: "Add connection" }));
  const box = h("details", { class: "add-connection" }, h("summary", { class: "btn", text: "Add a connection" }), form);
  type.addEventListener("change", () => { duck.hidden = type.value !== "duckdb"; bq.hidden = type.value !== "bigquery"; });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), warehouse_type: type.value };
    if (project.value.trim()) body.project = project.value.trim();
    if (type.value === "duckdb" && path.value.trim()) body.path = path.value.trim();
    if (type.value === "bigquery") {
      if (location.value.trim()) body.location = location.value.trim();
      if (auth.value === "keyless") body.auth = "keyless";
      else try { body.credentials = JSON.parse(creds.value); } catch { clear(msg, errorBox(new Error("The service-account key is not valid JSON."))); return; }
    }
    try {
      await post(`/v1/teams/${enc(team.id)}/connections`, body);
      form.reset();
      clear(msg);
      toast("Connection added; validate and scan it next");
      box.open = false;
      await done();
    } catch (err) { clear(msg, errorBox(err)); }
  });
  return box;
}
