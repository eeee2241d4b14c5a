// Identity Platform sign-in over its REST API (no SDK, nothing loaded from a CDN): email and
// password → a Google-signed ID token, refreshed before it expires. Used when /config.json says
// sign_in = "google"; the API verifies these tokens with google-auth and refuses an unverified
// email, so an unverified account is sent a verification link (accounts:sendOobCode) instead.

const REFRESH_KEY = "bridge.refresh";
const EXPIRES_KEY = "bridge.expires";

let settings = null;

export function configure(identity) { settings = identity; }

async function call(url, init) {
  const resp = await fetch(url, init);
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const code = (body.error && body.error.message) || `HTTP ${resp.status}`;
    throw new Error(MESSAGES[code.split(" ")[0]] || `Sign-in failed (${code}).`);
  }
  return body;
}

const MESSAGES = {
  EMAIL_NOT_FOUND: "Email or password is wrong.",
  INVALID_PASSWORD: "Email or password is wrong.",
  INVALID_LOGIN_CREDENTIALS: "Email or password is wrong.",
  USER_DISABLED: "This account is disabled.",
  TOO_MANY_ATTEMPTS_TRY_LATER: "Too many attempts; try again later.",
};

function remember(idToken, refreshToken, expiresIn) {
  localStorage.setItem(REFRESH_KEY, refreshToken);
  localStorage.setItem(EXPIRES_KEY, String(Date.now() + Number(expiresIn) * 1000));
  return idToken;
}

/** The claims of an ID token (read for the page only; the API verifies the token). */
function claims(idToken) {
  try {
    const part = String(idToken).split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch { return {}; }
}

const toolkit = (method) => `${settings.toolkit_url}/v1/accounts:${method}?key=${encodeURIComponent(settings.api_key)}`;

/** Email + password → {token, email, verified}; token is null (nothing kept) while the email is unverified. */
export async function signInWithPassword(email, password) {
  const body = await call(toolkit("signInWithPassword"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  });
  const who = body.email || email;
  if (claims(body.idToken).email_verified !== true) return { token: null, idToken: body.idToken, email: who, verified: false };
  return { token: remember(body.idToken, body.refreshToken, body.expiresIn), email: who, verified: true };
}

/** Identity Platform emails the account a verification link (its own template and action page). */
export async function sendVerificationEmail(idToken) {
  await call(toolkit("sendOobCode"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ requestType: "VERIFY_EMAIL", idToken }),
  });
}

/** A fresh ID token when the current one expires within a minute (null when nothing to refresh). */
export async function freshToken() {
  const refresh = localStorage.getItem(REFRESH_KEY);
  const expires = Number(localStorage.getItem(EXPIRES_KEY) || 0);
  if (!settings || !refresh || Date.now() < expires - 60_000) return null;
  const body = await call(`${settings.securetoken_url}/v1/token?key=${encodeURIComponent(settings.api_key)}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refresh }).toString(),
  });
  return remember(body.id_token, body.refresh_token, body.expires_in);
}

export function forget() { localStorage.removeItem(REFRESH_KEY); localStorage.removeItem(EXPIRES_KEY); }
