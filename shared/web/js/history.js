// Version history of a dashboard: who/when/what, a line diff between versions, restore as a new version.

import { get, getAll, post, enc } from "./api.js";
import { h, clear, spinner, errorBox, toast } from "./dom.js";
import { ago } from "./format.js";

/** A line diff (longest common subsequence): [{op: " " | "-" | "+", text}]. */
export function lineDiff(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ op: " ", text: a[i] }); i += 1; j += 1; } else if (lcs[i + 1][j] >= lcs[i][j + 1]) { out.push({ op: "-", text: a[i] }); i += 1; } else { out.push({ op: "+", text: b[j] }); j += 1; }
  }
  while (i < n) { out.push({ op: "-", text: a[i] }); i += 1; }
  while (j < m) { out.push({ op: "+", text: b[j] }); j += 1; }
  return out;
}

function diffView(lines) {
  const changed = lines.filter((l) => l.op !== " ").length;
  if (!changed) return h("p", { class: "muted", text: "No changes in the YAML." });
  // changed lines with two lines of context around them
  const keep = lines.map((l, i) => lines.slice(Math.max(0, i - 2), i + 3).some((x) => x.op !== " "));
  const rows = [];
  lines.forEach((l, i) => {
    if (keep[i]) rows.push(h("div", { class: `diff-line ${l.op === "+" ? "add" : l.op === "-" ? "del" : ""}` }, h("span", { class: "diff-op", "aria-hidden": "true", text: l.op }), h("span", { class: "sr-only", text: l.op === "+" ? "added: " : l.op === "-" ? "removed: " : "" }), l.text));
    else if (keep[i - 1]) rows.push(h("div", { class: "diff-gap", text: "⋯" }));
  });
  return h("div", { class: "diff", tabindex: "0", "aria-label": `${changed} changed lines` }, rows);
}

/** Fill `panel` with the version list of the dashboard at `base`; `onRestored(meta)` after a restore. */
export async function showHistory(panel, base, meta, onRestored) {
  clear(panel, h("p", { class: "muted" }, spinner("Loading history"), " Loading history…"));
  let versions;
  try { ({ versions } = await getAll(`${base}/versions`, "versions")); } catch (err) { clear(panel, errorBox(err)); return; }
  const texts = new Map();
  const text = async (n) => { if (!texts.has(n)) texts.set(n, (await get(`${base}/versions/${n}`)).yaml); return texts.get(n); };
  const detail = h("div", { class: "history-detail", "aria-live": "polite" });
  const rows = [...versions].reverse().map((v) => {
    const current = v.version === meta.version;
    const diffBtn = h("button", { type: "button", class: "btn small", text: "Changes" });
    const restoreBtn = current ? null : h("button", { type: "button", class: "btn small", text: `Restore version ${v.version}` });
    diffBtn.addEventListener("click", async () => {
      try {
        const before = v.version > 1 ? await text(v.version - 1) : "";
        clear(detail, h("h4", { text: v.version > 1 ? `Changes in version ${v.version} (from ${v.version - 1})` : "Version 1 (first save)" }), diffView(lineDiff(before, await text(v.version))));
      } catch (err) { clear(detail, errorBox(err)); }
    });
    restoreBtn?.addEventListener("click", async () => {
      restoreBtn.disabled = true;
      try {
        const saved = await post(`${base}/versions/${v.version}/restore`, undefined, { headers: { "If-Match": String(meta.version) } });
        toast(`Restored version ${v.version} as version ${saved.version}`);
        await onRestored(saved);
      } catch (err) {
        clear(detail, errorBox(err.status === 409 ? new Error("Someone saved a newer version meanwhile. Reload the history and try again.") : err));
        restoreBtn.disabled = false;
      }
    });
    return h("li", { class: `version${current ? " current" : ""}`, dataset: { version: String(v.version) } },
      h("div", {}, h("strong", { text: `Version ${v.version}` }), current ? h("span", { class: "badge valid", text: "current" }) : null,
        h("div", { class: "muted small", text: `${v.title} · ${v.author} · ${ago(v.created_at)}` })),
      h("div", { class: "row-actions" }, diffBtn, restoreBtn));
  });
  clear(panel, h("h3", { text: "History" }), h("ol", { class: "versions", "aria-label": "Versions, newest first" }, rows), detail);
}
