// Sign-in. Locally: an email → POST /v1/dev/token. Google Identity Platform sign-in is not built yet.

import { api, signInFlow, session } from "./api.js";
import { h, clear, errorBox, field } from "./dom.js";

export async function signInPage(main, next) {
  const box = h("div", { class: "signin" });
  clear(main, h("div", { class: "page narrow" }, box));
  clear(box, h("h1", { text: "Sign in to Bridge" }), h("p", { class: "muted", text: "Checking how to sign in…" }));
  if ((await signInFlow()) !== "local") {
    clear(box, h("h1", { text: "Sign in to Bridge" }), h("p", { class: "callout", text: "Google sign-in (Identity Platform) is not built into this page yet. Use the API with a Google ID token." }));
    return;
  }
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "email", placeholder: "you@example.com" });
  const msg = h("div");
  const form = h("form", { class: "card-form" }, field("Email", email, "Local development sign-in: no password, a dev token is issued for this email."), msg, h("button", { type: "submit", class: "btn primary", text: "Sign in" }));
  clear(box, h("h1", { text: "Sign in to Bridge" }), h("p", { class: "muted", text: "Ask a question about your data; get a live dashboard." }), form);
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
