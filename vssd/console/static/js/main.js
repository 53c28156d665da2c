// The console's shell: top bar (pages the role may see, connection state, language, user), the login dialog, the
// "reconnecting" banner and the router (History API; `/`, `/calls`, `/campaigns`, `/dashboard`, `/admin`,
// `/workspace`, `/crm`, `/notifier`, `/dci`). Pages are ES modules loaded when first opened.
import { html, render, useEffect, useState } from "../vendor/preact-htm.mjs";
import { can, login, logout, restore, ApiError } from "./api.js";
import { getLang, onLang, setLang, t } from "./i18n.js";
import { connect, disconnect, on } from "./live.js";
import { navigate } from "./router.js";
import { store, toast, useStore } from "./store.js";
import { Field } from "./ui.js";

export const PAGES = [
  { path: "/", key: "nav.farm", perm: "vssd.slots.read", load: () => import("./pages/farm.js") },
  { path: "/calls", key: "nav.calls", perm: "vssd.calls.read", load: () => import("./pages/calls.js") },
  { path: "/campaigns", key: "nav.campaigns", perm: "vssd.campaigns.read", load: () => import("./pages/campaigns.js") },
  { path: "/dashboard", key: "nav.dashboard", perm: "vssd.dashboard.read", load: () => import("./pages/dashboard.js") },
  { path: "/workspace", key: "nav.workspace", perm: "vssd.operators.own.update", load: () => import("./pages/workspace.js") },
  { path: "/crm", key: "nav.crm", perm: "vssd.crm.read", load: () => import("./pages/crm.js") },
  { path: "/notifier", key: "nav.notifier", perm: "vssd.notifier.read", load: () => import("./pages/notifier.js") },
  { path: "/admin", key: "nav.admin", perm: "vssd.users.read", load: () => import("./pages/admin.js") },
  { path: "/dci", key: "nav.dci", perm: "vssd.pipelines.read", load: () => import("./pages/dci.js") },
];


function Login() {
  const [form, setForm] = useState({ username: "", password: "" });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!form.username || !form.password) { setError(t("login.required")); return; }
    setBusy(true); setError(null);
    try { await login(form.username.trim(), form.password); }
    catch (err) { setError(err instanceof ApiError && err.status === 401 ? t("login.bad") : err.message); }
    finally { setBusy(false); }
  };
  return html`<div class="modal-back login-back"><form class="modal login" onSubmit=${submit} data-testid="login">
    <header><h2>${t("login.title")}</h2><${LangSwitch} /></header>
    <div class="modal-body">
      <${Field} label=${t("login.username")} name="username">
        <input name="username" autocomplete="username" autofocus value=${form.username} onInput=${(e) => setForm({ ...form, username: e.target.value })} />
      </${Field}>
      <${Field} label=${t("login.password")} name="password">
        <input name="password" type="password" autocomplete="current-password" value=${form.password} onInput=${(e) => setForm({ ...form, password: e.target.value })} />
      </${Field}>
      ${error ? html`<div class="note error" role="alert">${error}</div>` : null}
      <button class="btn primary" type="submit" disabled=${busy}>${t("login.submit")}</button>
    </div>
  </form></div>`;
}

function LangSwitch() {
  const lang = useStore((s) => s.lang);
  return html`<span class="lang" data-testid="lang">
    ${["ru", "en"].map((l) => html`<button type="button" class="link ${lang === l ? "on" : ""}" onClick=${() => setLang(l)}>${l.toUpperCase()}</button>`)}
  </span>`;
}

function TopBar({ pages, path }) {
  const sessionUser = useStore((s) => s.session && s.session.user);
  const connected = useStore((s) => s.connected);
  return html`<header class="top">
    <a class="brand" href="/" onClick=${(e) => { e.preventDefault(); navigate(pages[0] ? pages[0].path : "/"); }}>VSS</a>
    <nav>${pages.map((p) => html`<a href=${p.path} class=${p.path === path ? "on" : ""} onClick=${(e) => { e.preventDefault(); navigate(p.path); }}>${t(p.key)}</a>`)}</nav>
    <span class="spacer"></span>
    <span class="conn ${connected ? "up" : "down"}" data-testid="conn" title=${connected ? t("conn.live") : t("conn.down")}>● ${connected ? t("conn.live") : t("conn.down")}</span>
    <${LangSwitch} />
    ${sessionUser ? html`<span class="who" data-testid="who">${sessionUser.username} · ${sessionUser.role}</span>` : null}
    ${sessionUser ? html`<button class="btn small" data-testid="logout" onClick=${() => { disconnect(); logout(); }}>${t("logout")}</button>` : null}
  </header>`;
}

function Toast() {
  const toast = useStore((s) => s.toast);
  const [shown, setShown] = useState(null);
  useEffect(() => { if (!toast) return; setShown(toast); const id = setTimeout(() => setShown(null), 5000); return () => clearTimeout(id); }, [toast]);
  return shown ? html`<div class="toast ${shown.kind}" role="status">${shown.message}</div>` : null;
}

function Page({ entry }) {
  const [mod, setMod] = useState(null);
  useEffect(() => { let alive = true; setMod(null); entry.load().then((m) => alive && setMod(() => m.default)); return () => { alive = false; }; }, [entry.path]);
  return mod ? html`<${mod} />` : html`<div class="loading">${t("loading")}</div>`;
}

function App() {
  const session = useStore((s) => s.session);
  const needLogin = useStore((s) => s.needLogin);
  const path = useStore((s) => s.path);
  const reconnecting = useStore((s) => s.reconnecting);
  useStore((s) => s.lang);
  useEffect(() => { if (session) connect(); }, [session && session.token]);
  const pages = session ? PAGES.filter((p) => can(p.perm)) : [];
  const entry = pages.find((p) => p.path === path) || (session && PAGES.some((p) => p.path === path) ? null : pages[0]);
  return html`
    <${TopBar} pages=${pages} path=${entry ? entry.path : path} />
    ${reconnecting && session ? html`<div class="banner" data-testid="reconnecting">${t("conn.reconnecting")}</div>` : null}
    <main>${session ? (entry ? html`<${Page} key=${entry.path} entry=${entry} />` : html`<div class="note">${t("forbidden")}</div>`) : null}</main>
    ${needLogin || !session ? html`<${Login} />` : null}
    <${Toast} />`;
}

// A notification addressed to this user (the notifier's `notification` event) shows on whatever page is open.
on("notification", (n) => toast(`${n.title}: ${n.message}`, n.severity === "critical" ? "error" : "info"));
store.set({ path: location.pathname, search: location.search, lang: getLang() });
onLang((lang) => store.set({ lang }));
restore();
render(html`<${App} />`, document.getElementById("app"));
