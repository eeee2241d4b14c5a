// The dashboard view: parameters, cross-filters, a 12-column grid of views with tile actions,
// freshness + refresh, the YAML editor, history, rename / duplicate / delete.

import { api, get, post, enc, ApiError } from "./api.js";
import { h, clear, spinner, errorBox, toast } from "./dom.js";
import { ago } from "./format.js";
import { isFolded, legendRows, renderView } from "./views.js";
import { tileMenu, download } from "./tiles.js";
import { paramControl, filtersOf, filterChips, filterField, timeField } from "./params.js";
import { mountEditor } from "./editor.js";
import { showHistory } from "./history.js";
import { feedbackButtons } from "./knowledge.js";
import { editTile } from "./tile_edit.js";

/** The dashboard's theme: as the API names it, else read from its charts' background. */
function themeOf(data) {
  if (data.dashboard && data.dashboard.theme) return data.dashboard.theme;
  const bg = (data.views || []).map((v) => v.spec && v.spec.config && v.spec.config.background).find(Boolean);
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(bg || "");
  if (!m) return "light";
  const [r, g, b] = m.slice(1).map((x) => parseInt(x, 16));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 96 ? "dark" : "light";
}

const dateOf = (v) => new Date(v).toISOString().slice(0, 10);

/**
 * Mount the dashboard `slug` of `teamId` into `root`.
 * `options.compact` hides the page chrome (used beside the chat); `options.initialQuery` seeds parameters and filters.
 */
export function mountDashboard(root, teamId, slug, options = {}) {
  const base = `/v1/teams/${enc(teamId)}/dashboards/${enc(slug)}`;
  const state = { meta: null, data: null, query: options.initialQuery || "", loading: 0, timer: 0, panel: null, editor: null };
  const title = h(options.compact ? "h2" : "h1", { class: "dash-title", text: slug });
  const desc = h("p", { class: "muted dash-desc" });
  const status = h("span", { class: "freshness", "aria-live": "polite" });
  const button = (text, attrs = {}) => h("button", { type: "button", class: "btn", text, ...attrs });
  const refreshBtn = button("Refresh");
  const yamlBtn = button("YAML", { "aria-expanded": "false", "aria-controls": `panel-${slug}` });
  const historyBtn = button("History", { "aria-expanded": "false", "aria-controls": `panel-${slug}` });
  const renameBtn = button("Rename");
  const copyBtn = button("Duplicate");
  const deleteBtn = button("Delete", { class: "btn danger" });
  const downloadBtn = button("Download YAML");
  const openLink = options.compact ? h("a", { class: "btn", href: `/d/${enc(teamId)}/${enc(slug)}`, text: "Open" }) : null;
  const actions = h("div", { class: "dash-actions", hidden: true }, status, refreshBtn, yamlBtn, options.compact ? null : [historyBtn, renameBtn, copyBtn, deleteBtn, feedbackButtons(teamId, "dashboard", slug)], openLink);
  const paramsForm = h("form", { class: "params", "aria-label": "Parameters", hidden: true });
  const chips = h("div", { class: "chips-row" });
  const panel = h("section", { class: "side-panel", id: `panel-${slug}`, hidden: true, "aria-label": "Dashboard YAML and history" });
  const grid = h("div", { class: "grid", "aria-busy": "true" });
  const message = h("div", { class: "dash-message" });
  const el = h("section", { class: `dashboard${options.compact ? " compact" : ""}`, dataset: { slug } },
    h("div", { class: "dash-head" }, h("div", { class: "dash-heading" }, title, desc), actions),
    paramsForm, chips, panel, message, grid);
  clear(root, el);

  const ctx = { base, slug, teamId, query: () => state.query, title: () => state.meta?.title || slug, editTile: (view) => editTile(ctx, view, afterSave) };

  const showFreshness = () => {
    const times = (state.data?.views || []).map((v) => v.cached_at).filter(Boolean).sort();
    status.textContent = times.length ? `Data as of ${ago(times[0])}` : "";
    if (times.length) status.title = new Date(times[0]).toLocaleString();
  };

  async function loadMeta() {
    try {
      state.meta = await get(base);
      title.textContent = state.meta.title || slug;
      desc.textContent = state.meta.description || "";
      actions.hidden = false;
      if (!options.compact) document.title = `${state.meta.title} · Bridge`;
    } catch (err) {
      // nothing to act on: no actions, no parameters, just what to do next
      clear(message, errorBox(err.status === 404 ? new Error("This dashboard does not exist or you cannot see it.") : err),
        err.status === 404 ? h("p", {}, h("a", { href: "/#/dashboards", text: "See your dashboards" }), " or ", h("a", { href: "/#/chat", text: "ask for a new one" }), ".") : null);
      grid.remove();
      el.dataset.ready = "true";
      throw err;
    }
  }

  async function loadData(fetched) {
    const seq = ++state.loading;
    grid.setAttribute("aria-busy", "true");
    el.classList.add("is-loading");
    clear(message, h("p", { class: "muted" }, spinner("Loading data"), " Loading data…"));
    try {
      const data = fetched || await get(`${base}/data${state.query ? `?${state.query}` : ""}`);
      if (seq !== state.loading) return;
      state.data = data;
      // the title and description as the parameters make them read ({{ name }} rendered by the server; text only)
      if (data.dashboard && data.dashboard.title) title.textContent = data.dashboard.title;
      if (data.dashboard && typeof data.dashboard.description === "string") desc.textContent = data.dashboard.description;
      el.classList.toggle("theme-dark", themeOf(data) === "dark");
      clear(message);
      grid.classList.remove("stale");
      renderParams(data.parameters || []);
      renderChips();
      await renderGrid(data.views || []);
      showFreshness();
    } catch (err) {
      if (seq !== state.loading) return;
      // the charts below are from before: dimmed, and the error says why
      grid.classList.toggle("stale", grid.childElementCount > 0);
      clear(message, errorBox(err), grid.childElementCount ? h("p", { class: "muted small", text: "The charts below show the previous data." }) : null);
      renderChips();
    } finally {
      if (seq === state.loading) {
        grid.setAttribute("aria-busy", "false");
        el.classList.remove("is-loading");
        el.dataset.ready = "true";
      }
    }
  }

  function renderParams(parameters) {
    if (paramsForm.contains(document.activeElement) && paramsForm.childElementCount) return;
    // controls apply on change; the submit button makes Enter work in every field
    const values = (name, q) => get(`${base}/parameters/${enc(name)}/values?${new URLSearchParams([...new URLSearchParams(state.query), ...(q ? [["q", q]] : [])])}`);
    clear(paramsForm, parameters.map((p) => paramControl(p, apply, values)), h("button", { type: "submit", class: "sr-only", text: "Apply parameters" }));
    paramsForm.hidden = !parameters.length;
  }

  function renderChips() {
    clear(chips, filterChips(filtersOf(state.query), (key) => setFilter(key, null), () => setQuery(paramQuery())));
  }

  function paramQuery() {
    const q = new URLSearchParams();
    for (const el2 of paramsForm.elements) {
      if (!el2.name) continue;
      if (el2.type === "checkbox") { if (el2.checked) q.append(el2.name, el2.value); } else if (el2.value !== "" || el2.dataset.all) q.set(el2.name, el2.value);
    }
    return q;
  }

  function setQuery(q) {
    const query = q.toString();
    if (query === state.query && state.data) return; // Enter after a change: already loading
    state.query = query;
    if (!options.compact) history.replaceState(null, "", `${location.pathname}${state.query ? `?${state.query}` : ""}${location.hash}`);
    loadData();
  }

  function apply() {
    const q = paramQuery();
    for (const f of filtersOf(state.query)) q.set(f.key, f.value);
    setQuery(q);
  }

  function setFilter(key, value) {
    const q = new URLSearchParams(state.query);
    if (value === null) q.delete(key); else q.set(key, value);
    setQuery(q);
  }

  function interactive(view, body) {
    const vega = body._vega;
    if (!vega) return;
    const field = filterField(view);
    if (field) {
      vega.view.addEventListener("click", (_event, item) => {
        const datum = item && item.datum;
        if (!datum) return;
        const value = datum[field] ?? datum.value; // a mark, or a legend entry
        if (value === undefined || value === null) return;
        const series = view.spec && view.spec.usermeta && view.spec.usermeta.series;
        if (series && series.field === field && isFolded(view, series, datum, value)) return; // no one value
        setFilter(`filter.${field}`, String(value));
      });
    }
    const time = timeField(view);
    if (time) {
      let pending = 0;
      vega.view.addSignalListener("brush", (_name, value) => {
        clearTimeout(pending);
        const range = value && value[time];
        pending = setTimeout(() => {
          if (range && range.length === 2) setFilter(`range.${time}`, `${dateOf(range[0])}..${dateOf(range[1])}`);
        }, 600);
      });
    }
  }

  async function renderGrid(views) {
    const sorted = [...views].sort((a, b) => (a.layout?.y ?? 0) - (b.layout?.y ?? 0) || (a.layout?.x ?? 0) - (b.layout?.x ?? 0));
    const cards = sorted.map((v) => {
      const l = v.layout || { x: 0, y: 0, w: 12, h: 4 };
      const body = h("div", { class: "view-body" });
      const filtered = (v.filtered_by || []).length ? h("span", { class: "badge filtered", title: `Filtered by ${v.filtered_by.join(", ")}`, text: "filtered" }) : null;
      const card = h("article", {
        class: `view view-${(v.spec && v.spec.kind) || v.type}${v.status === "error" ? " has-error" : ""}`,
        dataset: { viewId: v.view_id, type: v.type },
        "aria-label": v.title || v.view_id,
        style: `--x:${l.x + 1};--w:${l.w};--y:${l.y + 1};--h:${l.h};--hp:${l.h + legendRows(v)}`,
      }, h("div", { class: "view-head" }, h("h3", { class: "view-title", text: v.title || "" }), filtered, tileMenu(ctx, v, body)),
      v.description ? h("p", { class: "view-desc muted small", text: v.description }) : null, body);
      return { card, body, view: v };
    });
    clear(grid, cards.map((c) => c.card));
    await Promise.all(cards.map(({ body, view }) => renderView(body, view, { brush: !!timeField(view), clickable: !!filterField(view) })
      .then(() => interactive(view, body))
      .catch((err) => {
        clear(body, h("div", { class: "view-error", role: "alert" }, h("p", { text: `This view could not be drawn: ${err.message}` })));
      })));
  }

  function togglePanel(which, btn) {
    const open = state.panel !== which;
    state.panel = open ? which : null;
    panel.hidden = !open;
    yamlBtn.setAttribute("aria-expanded", String(open && which === "yaml"));
    historyBtn.setAttribute("aria-expanded", String(open && which === "history"));
    if (!open) return false;
    btn.focus();
    return true;
  }

  async function afterSave(saved) {
    state.meta = await get(base);
    title.textContent = state.meta.title || slug;
    if (state.editor) state.editor.setMeta(state.meta);
    await loadData();
    return saved;
  }

  paramsForm.addEventListener("submit", (e) => { e.preventDefault(); apply(); });

  refreshBtn.addEventListener("click", async () => {
    refreshBtn.disabled = true;
    try {
      // the refresh answers with the recomputed data itself; re-fetch only if it does not
      const fresh = await post(`${base}/refresh${state.query ? `?${state.query}` : ""}`, {});
      await loadData(fresh && Array.isArray(fresh.views) ? fresh : undefined);
      toast("Data refreshed");
    } catch (err) {
      toast(err instanceof ApiError ? `Refresh failed: ${err.message}` : "Refresh failed");
    } finally {
      refreshBtn.disabled = false;
    }
  });

  yamlBtn.addEventListener("click", async () => {
    if (!togglePanel("yaml", yamlBtn)) return;
    try {
      state.meta = await get(base);
      const editorBox = h("div");
      clear(panel, editorBox, h("div", { class: "row-actions" }, downloadBtn));
      state.editor = mountEditor(editorBox, { base, slug, meta: state.meta, onSaved: afterSave });
    } catch (err) {
      clear(panel, errorBox(err));
    }
  });

  historyBtn.addEventListener("click", () => {
    if (!togglePanel("history", historyBtn)) return;
    state.editor = null;
    const restored = async (saved) => { await afterSave(saved); await showHistory(panel, base, state.meta, restored); };
    showHistory(panel, base, state.meta, restored);
  });

  renameBtn.addEventListener("click", () => {
    const written = state.data?.dashboard?.title_template || state.meta.title; // templates stay templates
    const input = h("input", { name: "title", required: true, maxlength: 300, value: written, "aria-label": "New title" });
    const form = h("form", { class: "rename-form" }, input, h("button", { type: "submit", class: "btn primary", text: "Save title" }), h("button", { type: "button", class: "btn", text: "Cancel", onclick: () => form.replaceWith(title) }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const saved = await api("PATCH", base, { json: { title: input.value.trim() }, headers: { "If-Match": String(state.meta.version) } });
        form.replaceWith(title);
        toast(`Renamed (version ${saved.version})`);
        await afterSave(saved);
      } catch (err) { toast(`Rename failed: ${err.message}`); }
    });
    title.replaceWith(form);
    input.focus();
    input.select();
  });

  copyBtn.addEventListener("click", async () => {
    try {
      const copy = await post(`${base}/duplicate`, {});
      toast(`Copied to ${copy.title}`);
      location.href = `/d/${enc(teamId)}/${enc(copy.slug)}`;
    } catch (err) { toast(`Duplicate failed: ${err.message}`); }
  });

  deleteBtn.addEventListener("click", async () => {
    if (!window.confirm(`Delete the dashboard "${state.meta.title}"? Its versions stay in the history, but the dashboard leaves the list.`)) return;
    try {
      await api("DELETE", base);
      toast(`Deleted ${state.meta.title}`);
      location.href = "/#/dashboards";
    } catch (err) { toast(err.status === 403 ? "Only the dashboard's owner or a team admin can delete it." : `Delete failed: ${err.message}`); }
  });

  downloadBtn.addEventListener("click", async () => {
    try {
      const resp = await api("GET", `${base}?format=yaml`, { raw: true, headers: { Accept: "application/yaml" } });
      download(await resp.blob(), `${slug}.yaml`);
    } catch (err) {
      toast(`Download failed: ${err.message}`);
    }
  });

  state.timer = setInterval(showFreshness, 30000);
  const ready = loadMeta().then(() => loadData(), () => {});
  return { el, ready, reload: () => loadData(), destroy: () => clearInterval(state.timer) };
}
