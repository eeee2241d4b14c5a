// The public HTTP API, called exactly as a third-party front end would (Bearer token).

import { configure, forget, freshToken } from "./identity.js";

const TOKEN_KEY = "bridge.token";
const EMAIL_KEY = "bridge.email";

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  get email() { return localStorage.getItem(EMAIL_KEY); },
  signIn(token, email) { localStorage.setItem(TOKEN_KEY, token); localStorage.setItem(EMAIL_KEY, email); },
  signOut() { localStorage.removeItem(TOKEN_KEY); localStorage.removeItem(EMAIL_KEY); forget(); },
};

const listeners = new Set();
export function onUnauthorized(fn) { listeners.add(fn); }

async function errorFrom(resp) {
  let body = null;
  try { body = await resp.json(); } catch { /* not JSON */ }
  const e = body && body.error ? body.error : {};
  return new ApiError(resp.status, e.code || `http_${resp.status}`, e.message || `${resp.status} ${resp.statusText}`, e.details);
}

/** fetch() with the token; JSON in and out; throws ApiError. `raw: true` returns the Response. */
export async function api(method, path, { json, body, headers = {}, raw = false, auth = true, signal } = {}) {
  const h = { Accept: "application/json", ...headers };
  if (auth && session.token) {
    const renewed = await freshToken().catch(() => null);  // Identity Platform tokens last an hour
    if (renewed) localStorage.setItem(TOKEN_KEY, renewed);
    h.Authorization = `Bearer ${session.token}`;
  }
  if (json !== undefined) { h["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  let resp;
  try {
    resp = await fetch(path, { method, headers: h, body, signal });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "The server cannot be reached. Check your connection and try again.");
  }
  if (!resp.ok) {
    const err = await errorFrom(resp);
    if (resp.status === 401 && auth) listeners.forEach((fn) => fn(err));
    throw err;
  }
  if (raw) return resp;
  if (resp.status === 204) return null;
  return resp.json();
}

export const get = (path, opts) => api("GET", path, opts);
export const post = (path, json, opts = {}) => api("POST", path, { json, ...opts });

/** Every page of a list route (`?limit=&cursor=`, answered with `next_cursor`), as one
 * `{[key]: [...all items]}` like an unpaged answer. */
export async function getAll(path, key, opts) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const url = `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await get(url, opts);
    items.push(...(page[key] || []));
    cursor = page.next_cursor || null;
  } while (cursor);
  return { [key]: items };
}

/** What the deployment offers before sign-in: {sign_in: "local" | "google", demo_email?}. */
export async function signInConfig() {
  try {
    const resp = await fetch("/config.json", { headers: { Accept: "application/json" } });
    const config = resp.ok ? await resp.json() : { sign_in: "google" };
    if (config.identity) configure(config.identity);
    return config;
  } catch {
    return { sign_in: "google" };
  }
}

/** Which sign-in flow this deployment offers: "local" (dev tokens) or "google" (Identity Platform). */
export async function signInFlow() {
  return (await signInConfig()).sign_in;
}

/** A short-lived stream token for one chat session: {token, expires_at} (epoch seconds). */
export function streamToken(sessionId) {
  return post(`/v1/chat/sessions/${encodeURIComponent(sessionId)}/stream-token`, {});
}

/** The event stream's URL for EventSource (which cannot send headers): a stream token, never the
 * bearer token, goes in the query string; `after` resumes after that event id. */
export function eventsUrl(sessionId, token, after = 0) {
  const q = `access_token=${encodeURIComponent(token)}${after ? `&after=${after}` : ""}`;
  return `/v1/chat/sessions/${encodeURIComponent(sessionId)}/events?${q}`;
}

export const enc = encodeURIComponent;
