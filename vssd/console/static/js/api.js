// The API client and the session: JWT login, refresh before expiry (at 80 % of the access token's life), logout.
// A request that meets 401 tries one refresh; if that fails the login dialog opens over the page (the page and
// its forms stay as they are) and the request is retried after the user logs in again.
import { store } from "./store.js";

const KEY = "vssd.session";
let refreshTimer = null;
let waiting = [];  // requests parked until the next login

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.details = (body && body.details) || [];
  }
  // The API's per-field problems as {field: message}, `loc` ["body", "name"] → "name".
  fields() {
    const out = {};
    for (const d of this.details) {
      const loc = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body" && p !== "query") : [];
      out[loc.length ? loc.join(".") : "_"] = d.msg;
    }
    return out;
  }
}

function load() {
  try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch { return null; }
}
function save(s) {
  try { s ? sessionStorage.setItem(KEY, JSON.stringify(s)) : sessionStorage.removeItem(KEY); } catch { /* ignore */ }
}

export function session() { return store.get().session; }
export function token() { const s = session(); return s ? s.token : null; }

function adopt(reply, previous) {
  const s = {
    token: reply.access_token || reply.token,
    refresh: reply.refresh_token || (previous && previous.refresh),
    expiresAt: Date.now() + (reply.expires_in || 3600) * 1000,
    lifetime: (reply.expires_in || 3600) * 1000,
    user: reply.user || (previous && previous.user),
    role: reply.role || (previous && previous.role),
    permissions: reply.permissions || (previous && previous.permissions) || [],
  };
  save(s);
  store.set({ session: s, needLogin: false });
  schedule(s);
  return s;
}

function schedule(s) {
  clearTimeout(refreshTimer);
  const due = Math.max(1000, s.expiresAt - Date.now() - s.lifetime * 0.2);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), due);
}

export async function login(username, password) {
  const reply = await raw("POST", "/api/auth/login", { username, password }, false);
  const s = adopt(reply, null);
  const parked = waiting; waiting = [];
  parked.forEach((resume) => resume());
  return s;
}

let refreshing = null;
export function refresh() {
  const s = session();
  if (!s || !s.refresh) return Promise.reject(new Error("no session"));
  if (!refreshing) {
    refreshing = raw("POST", "/api/auth/refresh", { refresh_token: s.refresh }, false)
      .then((reply) => adopt(reply, s))
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

export async function logout() {
  clearTimeout(refreshTimer);
  try { if (token()) await raw("POST", "/api/auth/logout", null, true); } catch { /* already gone */ }
  save(null);
  store.set({ session: null, needLogin: true });
}

export function restore() {
  const s = load();
  if (s && s.expiresAt > Date.now()) { store.set({ session: s }); schedule(s); return true; }
  if (s && s.refresh) { store.set({ session: s }); refresh().catch(() => store.set({ needLogin: true })); return true; }
  store.set({ needLogin: true });
  return false;
}

export function can(permission) {
  const s = session();
  return !!s && allowed(s.permissions || [], permission);
}

// SPEC's dotted permissions (vssd/api/acl.py): `*` one segment, `#` any run, a leading `!` denies and wins.
export function allowed(perms, required) {
  let granted = false;
  for (const raw of perms) {
    const deny = raw.startsWith("!");
    let rule = (deny ? raw.slice(1) : raw).trim().replaceAll(":", ".");
    if (!(rule === "#" || rule === "*" || rule.startsWith("vssd."))) rule = "vssd." + rule;
    const parts = rule.split(".").map((seg) => seg === "#" ? ".*" : seg === "*" ? "[^.]*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const re = new RegExp("^" + parts.join("\\.").replaceAll(".*\\.", "(?:.*\\.)?") + "$");
    if (re.test(required)) { if (deny) return false; granted = true; }
  }
  return granted;
}

async function raw(method, path, body, withToken) {
  const headers = { Accept: "application/json" };
  if (withToken && token()) headers.Authorization = `Bearer ${token()}`;
  let payload;
  if (body instanceof FormData || typeof body === "string") payload = body;
  else if (body !== null && body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  if (typeof body === "string") headers["Content-Type"] = "text/csv";
  const res = await fetch(path, { method, headers, body: payload });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text.slice(0, 200) }; }
  if (!res.ok) throw new ApiError(res.status, data);
  const total = res.headers.get("X-Total-Count");
  if (total !== null && data && typeof data === "object") Object.defineProperty(data, "total", { value: Number(total), enumerable: false });
  return data;
}

// `api("GET", "/api/slots", null, {limit: 50})`. On 401: one refresh, else the login dialog, then the same request.
export async function api(method, path, body = null, query = null) {
  const url = query ? `${path}?${new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v !== null && v !== undefined))}` : path;
  try {
    return await raw(method, url, body, true);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    try { await refresh(); } catch {
      store.set({ needLogin: true });
      await new Promise((resume) => waiting.push(resume));
    }
    return raw(method, url, body, true);
  }
}
