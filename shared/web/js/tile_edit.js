// Simple visual edits of one tile (title, chart type, sort) written into the dashboard's YAML.

import { api, get } from "./api.js";
import { h, clear, errorBox, field, toast } from "./dom.js";

const SWAPPABLE = ["line", "area", "bar", "scatter"]; // charts with the same x/y channels

/**
 * The YAML with keys of the view `viewId` set (`null` removes a key). Only block-style views
 * (`- id: …` then one key per line) are edited; anything else throws, pointing to the YAML editor.
 */
export function editViewYaml(text, viewId, changes) {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => new RegExp(`^(\\s*)-\\s+id:\\s*["']?${viewId}["']?\\s*(#.*)?$`).test(l));
  if (start < 0) throw new Error("This tile is written in a form only the YAML editor can change.");
  const itemIndent = lines[start].match(/^(\s*)/)[1].length;
  const keyIndent = " ".repeat(itemIndent + 2);
  let end = start + 1;
  while (end < lines.length && (!lines[end].trim() || lines[end].match(/^(\s*)/)[1].length > itemIndent)) end += 1;
  while (end > start + 1 && !lines[end - 1].trim()) end -= 1;
  for (const [key, value] of Object.entries(changes)) {
    const at = lines.slice(start + 1, end).findIndex((l) => l.startsWith(`${keyIndent}${key}:`));
    let span = 0;
    if (at >= 0) {
      span = 1; // the key's line, and any more-indented lines of a block value under it
      while (start + 1 + at + span < end && lines[start + 1 + at + span].match(/^(\s*)/)[1].length > keyIndent.length) span += 1;
    }
    const line = value === null ? [] : [`${keyIndent}${key}: ${value}`];
    if (at >= 0) { lines.splice(start + 1 + at, span, ...line); end += line.length - span; } else if (line.length) { lines.splice(start + 1, 0, ...line); end += 1; }
  }
  return lines.join("\n");
}

function sortChoices(view) {
  const enc = (view.spec && view.spec.encoding) || {};
  const measure = [enc.y, enc.x].find((e) => e && e.type === "quantitative" && e.field);
  const dim = [enc.x, enc.y].find((e) => e && e.type !== "quantitative" && e.field);
  const out = [["", "As the query returns them", null]];
  if (measure) out.push(["desc", "Largest first", `{field: ${measure.field}, order: desc}`], ["asc", "Smallest first", `{field: ${measure.field}, order: asc}`]);
  if (dim) out.push(["label", "By label", `{field: ${dim.field}, order: asc}`]);
  return out;
}

/** A dialog to edit one tile; `onSaved()` after the new version is saved. */
export function editTile(ctx, view, onSaved) {
  // the title as written: its {{ parameter }} templates stay templates when the tile is saved
  const title = h("input", { name: "title", value: view.title_template ?? view.title ?? "", maxlength: 200 });
  const chart = SWAPPABLE.includes(view.type);
  const type = chart ? h("select", { name: "type" }, SWAPPABLE.map((t) => h("option", { value: t, text: t[0].toUpperCase() + t.slice(1) }))) : null;
  if (type) type.value = view.type;
  const sorts = view.type === "bar" ? sortChoices(view) : [];
  const sort = sorts.length > 1 ? h("select", { name: "sort" }, sorts.map(([v, label]) => h("option", { value: v, text: label }))) : null;
  const msg = h("div", { "aria-live": "polite" });
  const save = h("button", { type: "submit", class: "btn primary", text: "Save tile" });
  const cancel = h("button", { type: "button", class: "btn", text: "Cancel" });
  const form = h("form", { class: "tile-edit" }, field("Title", title), type ? field("Chart type", type) : null, sort ? field("Sort", sort) : null, msg, h("div", { class: "row-actions" }, save, cancel));
  const box = h("dialog", { class: "dialog", "aria-label": `Edit ${view.title || view.view_id}` }, h("h2", { text: `Edit ${view.title || view.view_id}` }), form);
  cancel.addEventListener("click", () => box.close());
  box.addEventListener("close", () => box.remove());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    save.disabled = true;
    try {
      const meta = await get(ctx.base);
      const changes = { title: title.value.trim() ? JSON.stringify(title.value.trim()) : null };
      if (type && type.value !== view.type) changes.type = type.value;
      if (sort) changes.sort = sorts.find(([v]) => v === sort.value)[2];
      const text = editViewYaml(meta.yaml, view.view_id, changes);
      const saved = await api("PUT", ctx.base, { body: text, headers: { "Content-Type": "application/yaml", "If-Match": String(meta.version) } });
      box.close();
      toast(`Saved version ${saved.version}`);
      await onSaved(saved);
    } catch (err) {
      clear(msg, errorBox(err.status === 409 ? new Error("Someone saved a newer version meanwhile; try again.") : err));
      save.disabled = false;
    }
  });
  document.body.append(box);
  box.showModal();
  title.focus();
}
