// A team's settings (model, model region, byte cap) and its members: admins edit, members read.

import { api, get, getAll, post, enc } from "./api.js";
import { h, clear, errorBox, field, toast } from "./dom.js";

const MB = 1_000_000;

export async function teamSettings(team) {
  const box = h("section", { class: "team-settings" });
  const detail = await get(`/v1/teams/${enc(team.id)}`);
  const admin = detail.role === "admin";
  const own = detail.settings;
  const eff = detail.effective;
  const known = h("datalist", { id: `models-${team.id}` }, detail.known_models.map((m) => h("option", { value: m.replace("*", "") })));
  const model = h("input", { name: "model", value: own.model || "", placeholder: eff.model, list: known.id, maxlength: 100, disabled: !admin, autocomplete: "off" });
  const region = h("input", { name: "model_region", value: own.model_region || "", placeholder: eff.model_region, maxlength: 50, disabled: !admin });
  const cap = h("input", { name: "byte_cap", type: "number", min: 1, step: 1, value: own.byte_cap ? String(own.byte_cap / MB) : "", placeholder: String(eff.byte_cap / MB), disabled: !admin });
  const msg = h("div");
  const form = h("form", { class: "card-form settings-form" },
    field("Model", model, `Known: ${detail.known_models.join(", ")}. Empty = ${eff.model}.`),
    field("Model region", region, "Vertex AI region of a Gemini model. Empty = default."),
    field("Byte cap (MB)", cap, "maximum_bytes_billed of every query. Empty = default."),
    known, msg,
    admin ? h("button", { type: "submit", class: "btn primary", text: "Save settings" }) : h("p", { class: "muted small", text: "Only admins change settings." }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      model: model.value.trim() || null,
      model_region: region.value.trim() || null,
      byte_cap: cap.value ? Math.round(Number(cap.value) * MB) : null,
    };
    try {
      await api("PATCH", `/v1/teams/${enc(team.id)}`, { json: body });
      clear(msg);
      toast("Settings saved");
    } catch (err) { clear(msg, errorBox(err)); }
  });
  const members = h("ul", { class: "list members" });
  const memberMsg = h("div");
  async function loadMembers() {
    const list = (await getAll(`/v1/teams/${enc(team.id)}/members`, "members")).members;
    clear(members, list.map((m) => h("li", { class: "member" },
      h("span", {}, h("strong", { text: m.email }), " ", h("span", { class: "muted small", text: m.role })),
      admin ? h("button", { type: "button", class: "btn small", text: "Remove", "aria-label": `Remove ${m.email}`, onclick: async () => {
        try {
          await api("DELETE", `/v1/teams/${enc(team.id)}/members/${enc(m.email)}`);
          toast(`${m.email} removed`);
          await loadMembers();
        } catch (err) { clear(memberMsg, errorBox(err)); }
      } }) : null)));
  }
  const email = h("input", { name: "email", type: "email", required: true, maxlength: 320, autocomplete: "off" });
  const role = h("select", { name: "role" }, h("option", { value: "member", text: "member" }), h("option", { value: "admin", text: "admin" }));
  const invite = h("form", { class: "inline-form" }, field("Member email", email), field("Role", role), h("button", { type: "submit", class: "btn", text: "Add member" }));
  invite.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await post(`/v1/teams/${enc(team.id)}/members`, { email: email.value.trim(), role: role.value });
      email.value = "";
      clear(memberMsg);
      await loadMembers();
    } catch (err) { clear(memberMsg, errorBox(err)); }
  });
  await loadMembers();
  clear(box, h("h3", { text: "Settings" }), form, h("h3", { text: "Members" }), members, memberMsg, admin ? invite : null);
  return { box, admin };
}
