// Sign-in. Locally: an email → POST /v1/dev/token. On Google Cloud: Identity Platform (email and
// password over its REST API) → a Google ID token the API verifies; an account whose email is not
// verified yet is sent a verification link and signs in again once it has opened it.

import { api, signInConfig, session } from "./api.js";
import { h, clear, errorBox, field } from "./dom.js";
import { sendVerificationEmail, signInWithPassword } from "./identity.js";

function googleForm(box, next) {
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "username", placeholder: "you@example.com" });
  const password = h("input", { type: "password", name: "password", required: true, autocomplete: "current-password" });
  const msg = h("div");
  const form = h("form", { class: "card-form" }, field("Email", email), field("Password", password), msg,
    h("button", { type: "submit", class: "btn primary", text: "Sign in" }));
  clear(box, h("h1", { text: "Sign in to Bridge" }), h("p", { class: "muted", text: "Sign in with your team account." }), form);
  email.focus();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const { token, idToken, email: who, verified } = await signInWithPassword(email.value.trim(), password.value);
      if (!verified) {
        await sendVerificationEmail(idToken);
        clear(msg, h("p", { class: "callout", role: "status", text: `Your email address is not verified yet. We sent a verification link to ${who}: open it, then sign in again.` }));
        return;
      }
      session.signIn(token, who.toLowerCase());
      next();
    } catch (err) { clear(msg, h("p", { class: "error-text", role: "alert", text: err.message })); }
  });
}

export async function signInPage(main, next) {
  const box = h("div", { class: "signin" });
  clear(main, h("div", { class: "page narrow" }, box));
  clear(box, h("h1", { text: "Sign in to Bridge" }), h("p", { class: "muted", text: "Checking how to sign in…" }));
  const config = await signInConfig();
  if (config.sign_in !== "local") {
    googleForm(box, next);
    return;
  }
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "email", placeholder: "you@example.com" });
  const msg = h("div");
  const form = h("form", { class: "card-form" }, field("Email", email, "Local development sign-in: no password, a dev token is issued for this email."), msg, h("button", { type: "submit", class: "btn primary", text: "Sign in" }));
  const demo = config.demo_email ? h("div", { class: "callout demo-hint" },
    h("p", {}, "Trying Bridge? The demo team, with a sample shop warehouse, belongs to ", h("strong", { text: config.demo_email }), ". Sign in with that email to use it; any other email starts with no team."),
    h("button", { type: "button", class: "btn small", text: `Use ${config.demo_email}`, onclick: () => { email.value = config.demo_email; form.requestSubmit(); } })) : null;
  clear(box, h("h1", { text: "Sign in to Bridge" }), h("p", { class: "muted", text: "Ask a question about your data; get a live dashboard." }), demo, form);
  email.focus();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const { token } = await api("POST", "/v1/dev/token", { json: { email: email.value.trim() }, auth: false });
      session.signIn(token, email.value.trim().toLowerCase());
      next();
    } catch (err) { clear(msg, errorBox(err)); }
  });
}
