// Chat: pick a team + connection, send messages, follow the turn's events, show the dashboard.

import { get, getAll, post, enc, eventsUrl, streamToken, api, signInConfig } from "./api.js";
import { h, clear, spinner, errorBox, field } from "./dom.js";
import { mountDashboard } from "./dashboard.js";
import { prefs } from "./prefs.js";
import { renderMarkdown, localHref } from "./markdown.js";
import { stepLabel, resultLabel } from "./steps.js";
import { ASK_KEY } from "./tiles.js";
import { feedbackButtons } from "./knowledge.js";

const SESSION_KEY = "bridge.chat";
const EVENT_TYPES = ["token", "tool_call", "tool_result", "yaml_artifact", "dashboard_saved", "error", "done"];

function rawJson(label, obj) {
  return h("details", { class: "raw" }, h("summary", { text: label }), h("pre", { class: "args", text: JSON.stringify(obj ?? {}, null, 2) }));
}

export async function chatPage(main) {
  const teamSel = h("select", { name: "team" });
  const connSel = h("select", { name: "connection" });
  const newBtn = h("button", { type: "submit", class: "btn", text: "New chat" });
  const picker = h("form", { class: "picker", "aria-label": "Chat setup" }, field("Team", teamSel), field("Connection", connSel), newBtn);
  const log = h("ol", { class: "chat-log", "aria-label": "Conversation" });
  const input = h("textarea", { name: "content", rows: 2, required: true, maxlength: 4000, placeholder: "Ask for a dashboard, e.g. revenue by month", "aria-label": "Message" });
  const send = h("button", { type: "submit", class: "btn primary", text: "Send" });
  const progress = h("div", { class: "progress", role: "status", "aria-live": "polite" });
  const composer = h("form", { class: "composer" }, input, h("div", { class: "composer-row" }, progress, send));
  const preview = h("div", { class: "preview-body" }, h("div", { class: "placeholder" }, h("p", { class: "muted", text: "Your dashboard appears here once the assistant saves it." })));
  const notice = h("div");
  clear(main,
    h("div", { class: "chat-layout" },
      h("section", { class: "chat-pane", "aria-label": "Chat" }, h("h1", { class: "sr-only", text: "Chat" }), picker, notice, log, composer),
      h("section", { class: "preview-pane", "aria-label": "Dashboard preview" }, preview)));

  const st = { session: null, source: null, running: false, turns: new Map(), userByTurn: new Map(), lastId: 0, step: 0, dashboard: null, teamId: null, timed: false, noTeam: false };

  async function loadTeams() {
    const { teams } = await getAll("/v1/teams", "teams");
    if (!teams.length) {
      st.noTeam = true;
      const { demo_email: demo } = await signInConfig();
      clear(notice, h("div", { class: "callout empty-state" },
        h("p", { text: "You are not in a team yet, so there is no data to ask about." }),
        h("p", {}, h("a", { href: "/#/teams", text: "Create a team" }), " and add a connection to your warehouse",
          demo ? [", or sign out and sign in as ", h("strong", { text: demo }), " to try the demo team."] : ".")));
      send.disabled = true;
      input.disabled = true;
      return;
    }
    clear(teamSel, teams.map((t) => h("option", { value: t.id, text: t.name })));
    teamSel.value = teams.some((t) => t.id === prefs.team) ? prefs.team : teams[0].id;
    await loadConnections();
  }

  // A message sent while the team's connections are still loading waits for them (no stale pair).
  let connectionsLoaded = Promise.resolve();
  function loadConnections() {
    connectionsLoaded = fetchConnections();
    return connectionsLoaded;
  }

  async function fetchConnections() {
    prefs.team = teamSel.value;
    const { connections } = await getAll(`/v1/teams/${enc(teamSel.value)}/connections`, "connections");
    clear(connSel, connections.map((c) => h("option", { value: c.id, text: `${c.name}${c.status === "valid" ? "" : ` (${c.status})`}` })));
    if (connections.some((c) => c.id === prefs.connection)) connSel.value = prefs.connection;
    clear(notice, connections.length ? null : h("p", { class: "callout" }, "This team has no connection. ", h("a", { href: "/#/teams", text: "Add one" }), "."));
  }

  let ticker = 0;
  let started = 0;
  const elapsed = () => {
    const sec = (Date.now() - started) / 1000;
    return `${sec < 10 ? sec.toFixed(1) : Math.round(sec)} s`;
  };
  function working() {
    clear(progress, spinner("Working"), st.step ? ` Working: step ${st.step + 1} · ${elapsed()}` : ` Working… ${elapsed()}`);
  }

  function suggestions() {
    if (st.noTeam) return null;
    const examples = ["Revenue by month", "Top 10 product categories by revenue", "Orders by country since 2023"];
    return h("li", { class: "suggestions" }, h("p", { class: "muted", text: "Ask for a dashboard in plain words. For example:" }),
      h("div", { class: "chips" }, examples.map((text) => {
        const b = h("button", { type: "button", class: "chip", text });
        b.addEventListener("click", () => { input.value = text; composer.requestSubmit(); });
        return b;
      })));
  }

  function setRunning(running, label = "") {
    clearInterval(ticker);
    if (running) { started = Date.now(); st.timed = !!label; ticker = setInterval(() => { if (st.running && !st.reconnecting) working(); }, 1000); }
    st.running = running;
    send.disabled = running;
    composer.classList.toggle("busy", running);
    clear(progress, running ? [spinner("Working"), ` ${label || "Working…"}`] : label);
  }

  async function startSession() {
    if (st.source) st.source.close();
    st.turns.clear();
    st.userByTurn.clear();
    st.connectionId = connSel.value;
    st.dashboard = null;
    resetPreview();
    st.lastId = 0;
    clear(log, suggestions());
    prefs.connection = connSel.value;
    const s = await post("/v1/chat/sessions", { team_id: teamSel.value, connection_id: connSel.value });
    st.session = s.id;
    st.teamId = teamSel.value;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify({ id: s.id, team: s.team_id, connection: s.connection_id }));
    listen();
    return s.id;
  }

  /** After a reload: show the session's messages again and follow its running turn. */
  async function restore() {
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); } catch { saved = null; }
    if (!saved || saved.team !== teamSel.value) return;
    let s;
    try { s = await get(`/v1/chat/sessions/${enc(saved.id)}`); } catch { sessionStorage.removeItem(SESSION_KEY); return; }
    st.session = s.id;
    st.teamId = s.team_id;
    st.connectionId = s.connection_id;
    log.querySelector(".suggestions")?.remove();
    if ([...connSel.options].some((o) => o.value === s.connection_id)) connSel.value = s.connection_id;
    for (const m of s.messages) if (m.role === "user") st.userByTurn.set(m.turn_id, m.content);
    if (s.status === "queued" || s.status === "running") setRunning(true);
    listen();
  }

  /** Follow the session's events; the stream token is minted first and again once it expires. */
  async function listen() {
    const sessionId = st.session;
    let minted;
    try { minted = await streamToken(sessionId); } catch (err) {
      if (st.session === sessionId) setRunning(false, `Cannot follow the chat: ${err.message}`);
      return;
    }
    if (st.session !== sessionId) return; // another session started meanwhile
    st.source?.close();
    const source = new EventSource(eventsUrl(sessionId, minted.token, st.lastId));
    st.source = source;
    const expired = () => Date.now() / 1000 > minted.expires_at - 15;
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (e) => {
        let data = {};
        try { data = JSON.parse(e.data); } catch { data = { text: e.data }; }
        if (data.live) { onEvent(type, data); return; } // live text has no id of its own
        const id = Number(e.lastEventId);
        if (id && id <= st.lastId) return; // replay after reconnect
        if (id) st.lastId = id;
        onEvent(type, data);
      });
    }
    source.onerror = () => {
      if (st.source !== source) return;
      if (expired()) { source.close(); listen(); return; } // reconnect with a fresh stream token
      if (source.readyState === EventSource.CLOSED) setRunning(false, "Connection to the event stream closed.");
      else if (st.running) { st.reconnecting = true; clear(progress, spinner("Reconnecting"), " Reconnecting…"); }
    };
  }

  function turnOf(data) {
    const key = data.turn_id || "turn";
    if (!st.turns.has(key) && st.userByTurn.has(key)) {
      log.append(h("li", { class: "msg user" }, h("span", { class: "who-tag", text: "You" }), h("div", { class: "msg-text", text: st.userByTurn.get(key) })));
      st.userByTurn.delete(key);
    }
    if (!st.turns.has(key)) {
      const text = h("div", { class: "msg-text" });
      const stepsLabel = h("span", { text: "Working…" });
      const stepList = h("div", { class: "steps" });
      const steps = h("details", { class: "steps-box", open: true, hidden: true }, h("summary", {}, stepsLabel), stepList);
      const extras = h("div", { class: "extras" });
      const li = h("li", { class: "msg assistant", dataset: { turn: key } }, h("span", { class: "who-tag", text: "Bridge" }), steps, text, extras);
      log.append(li);
      st.turns.set(key, { li, text, steps, stepList, stepsLabel, extras, calls: new Map(), hasText: false, errors: new Set() });
    }
    return st.turns.get(key);
  }

  function scroll() { log.lastElementChild?.scrollIntoView({ block: "end", behavior: "smooth" }); }

  function onEvent(type, data) {
    const t = turnOf(data);
    if (typeof data.step === "number") st.step = Math.max(st.step, data.step);
    st.reconnecting = false;
    if (st.running) working();
    switch (type) {
      case "token":
        if (data.live) {
          // text being written now: shown at once, replaced by the step's committed tokens
          if (t.live && (t.live.step !== data.step || t.live.attempt !== data.attempt)) { t.live.el.remove(); t.live = null; }
          if (!t.live) { t.live = { step: data.step, attempt: data.attempt, seq: 0, el: h("span", { class: "live-text" }) }; t.text.append(t.live.el); }
          if (data.seq <= t.live.seq) break; // seen before a reconnect
          t.live.seq = data.seq;
          t.live.el.append(document.createTextNode(data.text || ""));
        } else {
          if (t.live && t.live.step === data.step) { t.live.el.remove(); t.live = null; }
          t.text.append(document.createTextNode(data.text || ""));
        }
        t.hasText = true;
        break;
      case "tool_call": {
        const status = h("span", { class: "step-status pending", text: "running" });
        const summary = h("span", { class: "step-summary", text: stepLabel(data.name, data.arguments || {}) });
        const raw = h("div", { class: "raw-box" }, rawJson(`Raw call: ${data.name}`, data.arguments));
        const det = h("div", { class: "step", dataset: { tool: data.name || "" } }, h("div", { class: "step-line" }, status, " ", summary), raw);
        t.calls.set(data.call_id, { det, status, summary, raw, args: data.arguments || {} });
        t.stepList.append(det);
        t.steps.hidden = false;
        t.stepsLabel.textContent = `Working: ${t.calls.size} ${t.calls.size === 1 ? "step" : "steps"}`;
        break;
      }
      case "tool_result": {
        let call = t.calls.get(data.call_id);
        if (!call) { onEvent("tool_call", { ...data, arguments: {} }); call = t.calls.get(data.call_id); }
        call.status.textContent = data.ok ? "done" : "error";
        call.status.className = `step-status ${data.ok ? "ok" : "bad"}`;
        call.summary.textContent = resultLabel(data.name, call.args, data);
        call.raw.append(rawJson("Raw result", data.ok ? data.result : data.error));
        break;
      }
      case "yaml_artifact":
        t.extras.append(h("details", { class: "artifact" }, h("summary", {}, `YAML: ${data.slug || data.dashboard_slug || "draft"}.yaml`, data.version ? ` (version ${data.version})` : "", data.valid === false ? " (not valid yet)" : ""), h("pre", { class: "yaml", tabindex: "0", text: data.yaml })));
        break;
      case "dashboard_saved":
        t.extras.append(h("p", { class: "saved" }, `Saved ${data.dashboard_slug} (version ${data.version}). `, h("a", { href: localHref(data.preview_url), class: "open-dashboard", text: "Open dashboard" })));
        showDashboard(data.dashboard_slug, data.version);
        break;
      case "error":
        t.errors.add(data.message || data.code);
        t.extras.append(h("p", { class: "error-text", role: "alert", text: data.message || data.code }));
        break;
      case "done":
        if (!t.hasText && data.message && !t.errors.has(data.message)) t.text.textContent = data.message;
        t.text.replaceChildren(...renderMarkdown(t.text.textContent));
        if (t.calls.size) {
          const failed = [...t.calls.values()].filter((c) => c.status.classList.contains("bad")).length;
          t.stepsLabel.textContent = `${t.calls.size} ${t.calls.size === 1 ? "step" : "steps"}${failed ? `, ${failed} with errors` : ""}`;
          t.steps.open = false;
        }
        if (data.dashboard_slug) showDashboard(data.dashboard_slug);
        t.li.dataset.status = data.status || "done";
        if (data.status === "done" && data.turn_id && st.teamId && !t.feedback) {
          t.feedback = feedbackButtons(st.teamId, "turn", data.turn_id);
          t.extras.append(t.feedback);
        }
        // after a reload the page did not see the turn start: no duration counted from the reload
        setRunning(false, data.status === "failed" ? "The turn failed." : st.running ? (st.timed ? `Answered in ${elapsed()}.` : "Answered.") : "");
        input.focus();
        break;
      default:
        break;
    }
    scroll();
  }

  let mounted = null;
  let mountTimer = 0;
  function showDashboard(slug, version) {
    const key = `${slug}@${version ?? ""}`;
    if (key === st.dashboard || (version === undefined && st.dashboard?.startsWith(`${slug}@`))) return;
    st.dashboard = key;
    clearTimeout(mountTimer); // replayed events may save several versions in a row: mount the last
    mountTimer = setTimeout(() => {
      if (mounted) mounted.destroy();
      mounted = mountDashboard(preview, st.teamId, slug, { compact: true });
    }, 150);
  }

  function resetPreview() {
    clearTimeout(mountTimer);
    if (mounted) mounted.destroy();
    mounted = null;
    clear(preview, h("div", { class: "placeholder" }, h("p", { class: "muted", text: "Your dashboard appears here once the assistant saves it." })));
  }

  /** Arrived from a tile's "Ask about this": the question starts with the view it is about. */
  function askAbout() {
    let ask = null;
    try { ask = JSON.parse(sessionStorage.getItem(ASK_KEY) || "null"); } catch { ask = null; }
    sessionStorage.removeItem(ASK_KEY);
    if (!ask || st.noTeam) return;
    if ([...teamSel.options].some((o) => o.value === ask.team) && teamSel.value !== ask.team) { teamSel.value = ask.team; loadConnections().catch(() => {}); }
    input.value = `About "${ask.title}" (view ${ask.view_id}) on the dashboard "${ask.dashboard}" (${ask.slug}): `;
    clear(notice, h("p", { class: "callout ask-context" }, "Asking about ", h("strong", { text: ask.title }), " on ", h("a", { href: `/d/${enc(ask.team)}/${enc(ask.slug)}`, text: ask.dashboard }), ". Finish the question and send it."));
  }

  picker.addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await startSession(); input.focus(); } catch (err) { clear(notice, errorBox(err)); }
  });
  teamSel.addEventListener("change", () => loadConnections().catch((err) => clear(notice, errorBox(err))));
  connSel.addEventListener("change", () => { prefs.connection = connSel.value; });

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); composer.requestSubmit(); }
  });

  composer.addEventListener("submit", async (e) => {
    e.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    await ready;
    await connectionsLoaded.catch(() => {});
    if (st.running) { clear(progress, "Wait for the current answer."); return; }
    const mine = h("li", { class: "msg user" }, h("span", { class: "who-tag", text: "You" }), h("div", { class: "msg-text", text: content }));
    try {
      if (!st.session || st.teamId !== teamSel.value || st.connectionId !== connSel.value) await startSession();
      log.querySelector(".suggestions")?.remove();
      setRunning(true, "Sending…");
      st.step = 0;
      log.append(mine);
      scroll();
      const resp = await api("POST", `/v1/chat/sessions/${enc(st.session)}/messages`, { json: { content }, raw: true, headers: { Accept: "text/event-stream" } });
      resp.body?.cancel().catch(() => {}); // events arrive on the EventSource
      input.value = "";
      if (st.running) working();
    } catch (err) {
      mine.remove();
      setRunning(false, err.status === 409 ? "Wait for the current answer." : "");
      if (err.status !== 409) clear(notice, errorBox(err));
    }
  });

  const ready = (async () => { try { await loadTeams(); await restore(); } catch (err) { clear(notice, errorBox(err)); } })();
  await ready;
  if (!st.session) clear(log, suggestions());
  askAbout();
  input.focus();
  return () => { clearInterval(ticker); resetPreview(); if (st.source) st.source.close(); };
}
