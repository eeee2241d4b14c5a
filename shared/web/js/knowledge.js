// The team knowledge file on the team page: the YAML editor (errors at their lines, completion from
// schemas/knowledge.schema.json, save with If-Match), a starter from the catalog, and the feedback
// that offers knowledge changes (admins accept them).

import { api, get, getAll, post, enc } from "./api.js";
import { h, clear, errorBox, toast } from "./dom.js";
import { mountEditor } from "./editor.js";

export async function knowledgeSection(box, team, admin) {
  const base = `/v1/teams/${enc(team.id)}/knowledge`;
  const panel = h("div", { class: "yaml-panel knowledge-editor" });
  const msg = h("div");
  const feedbackList = h("ul", { class: "list feedback-list" });
  let editor = null;

  async function load() {
    const meta = await get(base);
    editor = mountEditor(panel, {
      base, slug: "knowledge", meta, readOnly: !admin,
      schemaUrl: "/schemas/knowledge.schema.json",
      hint: admin
        ? "Metrics, synonyms, join paths, instructions and verified answers the agent uses. Every SQL fragment is checked and dry-run when you save; Ctrl+Space suggests keys."
        : "Your team's definitions (only admins change them).",
      onSaved: async () => { await loadFeedback(); },
    });
  }

  const starter = h("button", { type: "button", class: "btn", text: "Start from the catalog" });
  starter.addEventListener("click", async () => {
    starter.disabled = true;
    try {
      const out = await post(`${base}/starter`, undefined);
      editor.area.value = out.yaml;
      editor.area.dispatchEvent(new Event("input"));
      toast("Starter file loaded: review it, then save");
      clear(msg);
    } catch (err) { clear(msg, errorBox(err)); } finally { starter.disabled = false; }
  });

  async function loadFeedback() {
    const { feedback } = await getAll(`/v1/teams/${enc(team.id)}/feedback`, "feedback");
    const open = feedback.filter((f) => f.offer && f.status === "open");
    clear(feedbackList, open.length ? open.map((f) => {
      const what = f.offer.kind === "verified_answer"
        ? `Save “${f.offer.question}” → ${f.offer.dashboard} as a verified answer`
        : `Add the instruction “${f.offer.text}”`;
      const accept = admin ? h("button", { type: "button", class: "btn small", text: "Accept", "aria-label": `Accept: ${what}` }) : null;
      if (accept) accept.addEventListener("click", async () => {
        accept.disabled = true;
        try {
          await api("POST", `/v1/teams/${enc(team.id)}/feedback/${enc(f.id)}/accept`);
          toast("Added to the knowledge file");
          await load();
          await loadFeedback();
        } catch (err) { clear(msg, errorBox(err)); accept.disabled = false; }
      });
      return h("li", { class: "feedback-offer" }, h("span", {}, h("span", { class: "muted small", text: `${f.rating === "up" ? "👍" : "👎"} ${f.user}: ` }), what), accept);
    }) : h("li", { class: "muted small", text: "No open suggestions from feedback." }));
  }

  clear(box, h("h3", { text: "Knowledge" }), admin ? h("div", { class: "row-actions" }, starter) : null, panel, msg,
    h("h4", { text: "Suggestions from feedback" }), feedbackList);
  await load();
  await loadFeedback();
}

/** 👍/👎 buttons for one assistant turn or dashboard; a 👎 asks for an optional correction. */
export function feedbackButtons(teamId, targetType, targetId) {
  const out = h("span", { class: "muted small feedback-status", "aria-live": "polite" });
  const send = async (rating) => {
    let correction = null;
    if (rating === "down") {
      correction = window.prompt("What should change? (optional, e.g. “revenue should exclude returns”)") || null;
    }
    try {
      const fb = await post(`/v1/teams/${enc(teamId)}/feedback`, { target_type: targetType, target_id: targetId, rating, correction });
      out.textContent = fb.offer
        ? (fb.offer.kind === "verified_answer" ? "Thanks! An admin can save this as a verified answer." : "Thanks! Your correction is proposed to the team's admins.")
        : "Thanks for the feedback.";
    } catch (err) { out.textContent = err.message; }
  };
  const up = h("button", { type: "button", class: "btn small feedback-up", text: "👍", title: "Good answer", "aria-label": "Good answer" });
  const down = h("button", { type: "button", class: "btn small feedback-down", text: "👎", title: "Wrong answer", "aria-label": "Wrong answer" });
  up.addEventListener("click", () => send("up"));
  down.addEventListener("click", () => send("down"));
  return h("span", { class: "feedback" }, up, down, out);
}
