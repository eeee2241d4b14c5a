// Per-tile actions: view SQL (with dry-run bytes and when the data was computed), CSV, PNG, SVG, ask.

import { api, get, enc } from "./api.js";
import { h, clear, spinner, errorBox, toast } from "./dom.js";
import { ago, formatBytes } from "./format.js";

export const ASK_KEY = "bridge.ask";

/** Save `blob` as `name` through a temporary link. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function dialog(title, ...body) {
  const close = h("button", { type: "button", class: "btn small", text: "Close" });
  const box = h("dialog", { class: "dialog", "aria-label": title }, h("div", { class: "dialog-head" }, h("h2", { text: title }), close), ...body);
  close.addEventListener("click", () => box.close());
  box.addEventListener("close", () => box.remove());
  document.body.append(box);
  box.showModal();
  return box;
}

async function showSql(ctx, view) {
  const content = h("div", { class: "sql-body" }, spinner("Loading SQL"), " Dry-running the query…");
  dialog(`SQL of ${view.title || view.view_id}`, content);
  try {
    const q = ctx.query();
    const info = await get(`${ctx.base}/data/${enc(view.view_id)}/sql${q ? `?${q}` : ""}`);
    const dry = info.dry_run_error
      ? h("p", { class: "error-text", text: `Dry run failed: ${info.dry_run_error.message}` })
      : h("p", { class: "dry-run" }, `Dry run: ${formatBytes(info.dry_run_bytes)}, ${info.dry_run_bytes <= info.byte_cap ? "under" : "over"} the ${formatBytes(info.byte_cap)} cap.`);
    const computed = view.cached_at ? `Data computed ${ago(view.cached_at)} (${new Date(view.cached_at).toLocaleString()}).` : "Not computed yet.";
    clear(content, dry, h("p", { class: "muted computed-at", text: computed }),
      info.parameters.length ? h("p", { class: "muted small", text: `Parameters: ${info.parameters.map((p) => `@${p.name} = ${p.value}`).join(", ")}` }) : null,
      h("pre", { class: "sql", tabindex: "0", text: info.sql || "(a text view runs no SQL)" }),
      h("button", { type: "button", class: "btn small", text: "Copy SQL", onclick: () => navigator.clipboard?.writeText(info.sql || "").then(() => toast("SQL copied"), () => {}) }));
  } catch (err) {
    clear(content, errorBox(err));
  }
}

async function csv(ctx, view) {
  const q = ctx.query();
  const resp = await api("GET", `${ctx.base}/data/${enc(view.view_id)}.csv${q ? `?${q}` : ""}`, { raw: true, headers: { Accept: "text/csv" } });
  download(await resp.blob(), `${ctx.slug}-${view.view_id}.csv`);
  if (resp.headers.get("X-Bridge-Truncated") === "true") toast("The CSV holds the first rows only (the row limit applies)");
}

async function image(ctx, view, body, type) {
  const vega = body._vega;
  if (!vega) throw new Error("This tile has no chart to export.");
  let blob;
  if (type === "svg") {
    blob = new Blob([await vega.view.toSVG()], { type: "image/svg+xml" });
  } else {
    const canvas = await vega.view.toCanvas(2); // twice the pixels: sharp on high-density screens
    blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }
  download(blob, `${ctx.slug}-${view.view_id}.${type}`);
}

function ask(ctx, view) {
  sessionStorage.setItem(ASK_KEY, JSON.stringify({ team: ctx.teamId, slug: ctx.slug, view_id: view.view_id, title: view.title || view.view_id, dashboard: ctx.title() }));
  location.href = "/#/chat";
}

/** The actions menu of one tile. `ctx`: {base, slug, teamId, query(), title()}. */
export function tileMenu(ctx, view, body) {
  const kind = (view.spec && view.spec.kind) || view.type;
  const chart = !["kpi", "table", "text"].includes(kind) && view.status === "ok" && view.row_count > 0;
  const label = view.title || view.view_id;
  const menu = h("div", { class: "tile-menu-items", role: "menu" });
  const box = h("details", { class: "tile-menu" }, h("summary", { class: "tile-menu-button", "aria-label": `Actions for ${label}`, title: "Actions" }, "⋯"), menu);
  const item = (text, fn) => {
    const b = h("button", { type: "button", role: "menuitem", class: "menu-item", text });
    b.addEventListener("click", async () => {
      box.open = false;
      try { await fn(); } catch (err) { toast(`${text} failed: ${err.message}`); }
    });
    menu.append(b);
  };
  if (view.type !== "text") item("View SQL", () => showSql(ctx, view));
  if (view.type !== "text" && view.status === "ok") item("Download CSV", () => csv(ctx, view));
  if (chart) {
    item("Download PNG", () => image(ctx, view, body, "png"));
    item("Download SVG", () => image(ctx, view, body, "svg"));
  }
  if (ctx.editTile && view.type !== "text") item("Edit tile", () => ctx.editTile(view));
  item("Ask about this", () => ask(ctx, view));
  document.addEventListener("click", (e) => { if (box.open && !box.contains(e.target)) box.open = false; });
  return box;
}
