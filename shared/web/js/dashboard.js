// The dashboard view: parameters, a 12-column grid of views, freshness + refresh, YAML panel.

import { api, get, post, enc, ApiError } from "./api.js";
import { h, clear, spinner, errorBox, toast } from "./dom.js";
import { ago } from "./format.js";
import { renderView } from "./views.js";

function paramControl(p, onChange) {
  const id = `param-${p.name}`;
  const label = p.label || p.name.replace(/_/g, " ");
  let control;
  if (p.options && p.options.length) {
    control = h("select", { id, name: p.name }, p.options.map((o) => h("option", { value: String(o), text: String(o) })));
    control.value = p.value === null || p.value === undefined ? "" : String(p.value);
  } else if (p.type === "date_range") {
    const [a, b] = Array.isArray(p.value) ? p.value : String(p.value || "").split(",");
    const start = h("input", { type: "date", id, name: `${p.name}_start`, value: a || "", "aria-label": `${label} start` });
    const end = h("input", { type: "date", name: `${p.name}_end`, value: b || "", "aria-label": `${label} end` });
    start.addEventListener("change", onChange);
    end.addEventListener("change", onChange);
    return h("div", { class: "field param" }, h("label", { for: id, text: label }), h("div", { class: "range" }, start, end));
  } else {
    const type = p.type === "date" ? "date" : p.type === "number" ? "number" : "text";
    control = h("input", { type, id, name: p.name, value: p.value === null || p.value === undefined ? "" : String(p.value), step: type === "number" ? "any" : undefined });
  }
  control.addEventListener("change", onChange);
  return h("div", { class: "field param" }, h("label", { for: id, text: label }), control);
}

/** The dashboard's theme: as the API names it, else read from its charts' background. */
function themeOf(data) {
  if (data.dashboard && data.dashboard.theme) return data.dashboard.theme;
  const bg = (data.views || []).map((v) => v.spec && v.spec.config && v.spec.config.background).find(Boolean);
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(bg || "");
  if (!m) return "light";
  const [r, g, b] = m.slice(1).map((x) => parseInt(x, 16));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 96 ? "dark" : "light";
}

function queryString(form) {
  const q = new URLSearchParams();
  for (const el of form.elements) if (el.name && el.value !== "") q.set(el.name, el.value);
  return q.toString();
}

/**
 * Mount the dashboard `slug` of `teamId` into `root`.
 * `options.compact` hides the page chrome (used beside the chat); `options.initialQuery` seeds parameters.
 */
export function mountDashboard(root, teamId, slug, options = {}) {
  const base = `/v1/teams/${enc(teamId)}/dashboards/${enc(slug)}`;
  const state = { meta: null, data: null, query: options.initialQuery || "", loading: 0, timer: 0 };
  const title = h(options.compact ? "h2" : "h1", { class: "dash-title", text: slug });
  const desc = h("p", { class: "muted dash-desc" });
  const status = h("span", { class: "freshness", "aria-live": "polite" });
  const refreshBtn = h("button", { type: "button", class: "btn", text: "Refresh" });
  const yamlBtn = h("button", { type: "button", class: "btn", "aria-expanded": "false", "aria-controls": `yaml-${slug}`, text: "YAML" });
  const downloadBtn = h("button", { type: "button", class: "btn", text: "Download YAML" });
  const openLink = options.compact ? h("a", { class: "btn", href: `/d/${enc(teamId)}/${enc(slug)}`, text: "Open" }) : null;
  const paramsForm = h("form", { class: "params", "aria-label": "Parameters" });
  const yamlPanel = h("section", { class: "yaml-panel", id: `yaml-${slug}`, hidden: true, "aria-label": "Dashboard YAML" });
  const grid = h("div", { class: "grid", "aria-busy": "true" });
  const message = h("div", { class: "dash-message" });
  const el = h("section", { class: `dashboard${options.compact ? " compact" : ""}`, dataset: { slug } },
    h("div", { class: "dash-head" },
      h("div", { class: "dash-heading" }, title, desc),
      h("div", { class: "dash-actions" }, status, refreshBtn, yamlBtn, openLink)),
    paramsForm, yamlPanel, message, grid);
  clear(root, el);

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
      if (!options.compact) document.title = `${state.meta.title} · Bridge`;
    } catch (err) {
      clear(message, errorBox(err.status === 404 ? new Error("This dashboard does not exist or you cannot see it.") : err));
      grid.setAttribute("aria-busy", "false");
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
      el.classList.toggle("theme-dark", themeOf(data) === "dark");
      clear(message);
      renderParams(data.parameters || []);
      await renderGrid(data.views || []);
      showFreshness();
    } catch (err) {
      if (seq !== state.loading) return;
      clear(message, errorBox(err));
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
    clear(paramsForm, parameters.map((p) => paramControl(p, apply)), h("button", { type: "submit", class: "sr-only", text: "Apply parameters" }));
    paramsForm.hidden = !parameters.length;
  }

  function apply() {
    const query = queryString(paramsForm);
    if (query === state.query && state.data) return; // Enter after a change: already loading
    state.query = query;
    if (!options.compact) history.replaceState(null, "", `${location.pathname}${state.query ? `?${state.query}` : ""}${location.hash}`);
    loadData();
  }

  async function renderGrid(views) {
    const sorted = [...views].sort((a, b) => (a.layout?.y ?? 0) - (b.layout?.y ?? 0) || (a.layout?.x ?? 0) - (b.layout?.x ?? 0));
    const cards = sorted.map((v) => {
      const l = v.layout || { x: 0, y: 0, w: 12, h: 4 };
      const body = h("div", { class: "view-body" });
      const card = h("article", {
        class: `view view-${(v.spec && v.spec.kind) || v.type}${v.status === "error" ? " has-error" : ""}`,
        dataset: { viewId: v.view_id, type: v.type },
        "aria-label": v.title || v.view_id,
        style: `--x:${l.x + 1};--w:${l.w};--y:${l.y + 1};--h:${l.h}`,
      }, v.title ? h("h3", { class: "view-title", text: v.title }) : null, body);
      return { card, body, view: v };
    });
    clear(grid, cards.map((c) => c.card));
    await Promise.all(cards.map(({ body, view }) => renderView(body, view).catch((err) => {
      clear(body, h("div", { class: "view-error", role: "alert" }, h("p", { text: `This view could not be drawn: ${err.message}` })));
    })));
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
    const open = yamlPanel.hidden;
    yamlPanel.hidden = !open;
    yamlBtn.setAttribute("aria-expanded", String(open));
    if (open) {
      try {
        state.meta = await get(base);
        clear(yamlPanel, h("div", { class: "yaml-head" }, h("div", {}, h("strong", { text: `${slug}.yaml` }), h("span", { class: "muted", text: ` version ${state.meta.version}` })), downloadBtn), h("pre", { class: "yaml", tabindex: "0", text: state.meta.yaml }));
      } catch (err) {
        clear(yamlPanel, errorBox(err));
      }
    }
  });

  downloadBtn.addEventListener("click", async () => {
    try {
      const resp = await api("GET", `${base}?format=yaml`, { raw: true, headers: { Accept: "application/yaml" } });
      const url = URL.createObjectURL(await resp.blob());
      const a = h("a", { href: url, download: `${slug}.yaml`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      toast(`Download failed: ${err.message}`);
    }
  });

  state.timer = setInterval(showFreshness, 30000);
  const ready = loadMeta().then(loadData, () => {});
  return { el, ready, reload: () => loadData(), destroy: () => clearInterval(state.timer) };
}
