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

/**
 * 👍/👎 buttons for one assistant turn or dashboard. 👍 is sent at once, then offers "Add a comment";
 * 👎 opens an inline form (an optional comment and an optional correction, Send or Cancel; Escape
 * cancels and focus returns to the button that opened it).
 */
export function feedbackButtons(teamId, targetType, targetId) {
  const out = h("span", { class: "muted small feedback-status", "aria-live": "polite" });
  const send = async (rating, comment = null, correction = null) => {
    try {
      const fb = await post(`/v1/teams/${enc(teamId)}/feedback`, { target_type: targetType, target_id: targetId, rating, comment, correction });
      out.textContent = fb.offer
        ? (fb.offer.kind === "verified_answer" ? "Thanks! An admin can save this as a verified answer." : "Thanks! Your correction is proposed to the team's admins.")
        : "Thanks for the feedback.";
      return true;
    } catch (err) { out.textContent = err.message; return false; }
  };
  const up = h("button", { type: "button", class: "btn small feedback-up", text: "👍", title: "Good answer", "aria-label": "Good answer" });
  const down = h("button", { type: "button", class: "btn small feedback-down", text: "👎", title: "Wrong answer", "aria-label": "Wrong answer", "aria-expanded": "false" });
  const note = h("button", { type: "button", class: "link small feedback-note", text: "Add a comment", "aria-expanded": "false", hidden: true });
  let opener = down;
  const form = feedbackForm(async (comment, correction) => {
    const ok = await send(opener === down ? "down" : "up", comment, opener === down ? correction : null);
    if (ok) close();
    return ok;
  }, () => close());
  function close() {
    form.hidden = true;
    opener.setAttribute("aria-expanded", "false");
    opener.focus();
  }
  function open(by) {
    if (!form.hidden) close();
    opener = by;
    form.setAttribute("aria-label", by === down ? "What was wrong" : "Your comment");
    form.querySelector(".feedback-correction-field").hidden = by !== down;
    form.hidden = false;
    by.setAttribute("aria-expanded", "true");
    form.querySelector("textarea").focus();
  }
  up.addEventListener("click", async () => {
    if (!form.hidden) close();
    if (await send("up")) note.hidden = false;
  });
  down.addEventListener("click", () => { if (!form.hidden && opener === down) close(); else open(down); });
  note.addEventListener("click", () => { if (!form.hidden && opener === note) close(); else open(note); });
  return h("span", { class: "feedback" }, up, down, out, note, form);
}

/** The feedback form: labelled fields, Send and Cancel; `submit(comment, correction)` resolves to whether it was stored. */
function feedbackForm(submit, cancel) {
  const comment = h("textarea", { name: "comment", rows: 2, maxlength: 2000, class: "feedback-comment" });
  const correction = h("textarea", { name: "correction", rows: 2, maxlength: 2000, placeholder: "e.g. revenue should exclude returns", class: "feedback-correction" });
  const sendBtn = h("button", { type: "submit", class: "btn small primary", text: "Send feedback" });
  const cancelBtn = h("button", { type: "button", class: "btn small", text: "Cancel" });
  const form = h("form", { class: "feedback-form", "aria-label": "What was wrong", hidden: true },
    h("label", {}, h("span", { text: "Comment (optional)" }), comment),
    h("label", { class: "feedback-correction-field" }, h("span", { text: "Correction for the team's knowledge (optional)" }), correction),
    h("div", { class: "row-actions" }, cancelBtn, sendBtn));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    sendBtn.disabled = true;
    try {
      if (await submit(comment.value.trim() || null, correction.value.trim() || null)) { comment.value = ""; correction.value = ""; }
    } finally { sendBtn.disabled = false; }
  });
  cancelBtn.addEventListener("click", () => cancel());
  form.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); cancel(); } });
  return form;
}
