// Admin · Audit: the security trail (GET /api/security/audit, newest first, paged by X-Total-Count) with the API's
// filters (vssd/api/audit/filters.py: actor, action, object type and id, outcome, time range). The filters are
// checked before sending (the range's order, lengths) and applied on "Apply" only; the API's 422 details show
// beside their fields. Each row: when, who (and role), from where, what, on which object, the outcome, and
// what the entry adds (the answer's code, a role change) — never raw JSON.
import { useState } from "../../../vendor/preact-htm.mjs";
import { api, ApiError } from "../../api.js";
import { extend, fmtDateTime, t } from "../../i18n.js";
import { ErrorNote, Field, html, Pager, Table, usePaged } from "../../ui.js";

extend({
  ru: {
    "admin.audit.actor": "Кто", "admin.audit.actorHint": "Логин или id пользователя", "admin.audit.action": "Действие",
    "admin.audit.actionHint": "Например: PATCH /api/users/{user_id}", "admin.audit.objectType": "Объект",
    "admin.audit.objectId": "Id объекта", "admin.audit.outcome": "Итог", "admin.audit.from": "С", "admin.audit.to": "По",
    "admin.audit.any": "Любой", "admin.audit.apply": "Применить", "admin.audit.reset": "Сбросить",
    "admin.audit.at": "Время", "admin.audit.ip": "IP", "admin.audit.details": "Подробности",
    "admin.audit.o.ok": "успешно", "admin.audit.o.denied": "отказано", "admin.audit.o.failed": "ошибка",
    "admin.audit.rangeBad": "«По» раньше, чем «С»", "admin.audit.tooLong": "Не длиннее {max} символов",
    "admin.audit.anonymous": "аноним", "admin.audit.roleChange": "роль: {from} → {to}", "admin.audit.status": "ответ {status}",
    "admin.audit.empty": "Записей нет", "admin.audit.count": "Записей: {n}", "admin.audit.dropped": "потеряно записей при перегрузке: {n}",
  },
  en: {
    "admin.audit.actor": "Who", "admin.audit.actorHint": "Username or user id", "admin.audit.action": "Action",
    "admin.audit.actionHint": "E.g. PATCH /api/users/{user_id}", "admin.audit.objectType": "Object",
    "admin.audit.objectId": "Object id", "admin.audit.outcome": "Outcome", "admin.audit.from": "From", "admin.audit.to": "To",
    "admin.audit.any": "Any", "admin.audit.apply": "Apply", "admin.audit.reset": "Reset",
    "admin.audit.at": "Time", "admin.audit.ip": "IP", "admin.audit.details": "Details",
    "admin.audit.o.ok": "success", "admin.audit.o.denied": "denied", "admin.audit.o.failed": "failed",
    "admin.audit.rangeBad": "\"To\" is before \"From\"", "admin.audit.tooLong": "At most {max} characters",
    "admin.audit.anonymous": "anonymous", "admin.audit.roleChange": "role: {from} → {to}", "admin.audit.status": "answer {status}",
    "admin.audit.empty": "No entries", "admin.audit.count": "Entries: {n}", "admin.audit.dropped": "entries lost under overload: {n}",
  },
});

const EMPTY = { actor: "", action: "", object_type: "", object_id: "", outcome: "", from: "", to: "" };
const TEXT = ["actor", "action", "object_type", "object_id"];
const OUTCOMES = ["ok", "denied", "failed"];
const MAX = 300;

export function check(f) {
  const bad = {};
  for (const k of TEXT) if (f[k].trim().length > MAX) bad[k] = t("admin.audit.tooLong", { max: MAX });
  if (f.from && f.to && new Date(f.to) < new Date(f.from)) bad.to = t("admin.audit.rangeBad");
  return bad;
}

// The form (datetime-local: the browser's zone) → the API's query (ISO-8601 with the zone).
function apiQuery(f) {
  const out = {};
  for (const k of TEXT) if (f[k].trim()) out[k] = f[k].trim();
  if (f.outcome) out.outcome = f.outcome;
  for (const k of ["from", "to"]) if (f[k]) out[k] = new Date(f[k]).toISOString();
  return out;
}

function apiErrors(error) {
  return error instanceof ApiError && error.status === 422 ? error.fields() : {};
}

function Text({ name, value, set, error, hint, type = "text" }) {
  return html`<${Field} label=${t(`admin.audit.${name === "object_type" ? "objectType" : name === "object_id" ? "objectId" : name}`)} name=${name} error=${error} hint=${hint}>
    <input name=${name} type=${type} value=${value} data-testid=${`audit-f-${name}`} onInput=${(e) => set(name, e.target.value)} />
  </${Field}>`;
}

function Filters({ onApply, errors, setErrors }) {
  const [form, setForm] = useState(EMPTY);
  const set = (k, v) => { setForm((f) => ({ ...f, [k]: v })); if (errors[k]) setErrors({ ...errors, [k]: undefined }); };
  const submit = (e) => {
    e.preventDefault();
    const bad = check(form);
    setErrors(bad);
    if (!Object.keys(bad).length) onApply(apiQuery(form));
  };
  const reset = () => { setForm(EMPTY); setErrors({}); onApply({}); };
  return html`<form class="filters box" onSubmit=${submit} data-testid="audit-filters" novalidate>
    <${Text} name="actor" value=${form.actor} set=${set} error=${errors.actor} hint=${t("admin.audit.actorHint")} />
    <${Text} name="action" value=${form.action} set=${set} error=${errors.action} hint=${t("admin.audit.actionHint")} />
    <${Text} name="object_type" value=${form.object_type} set=${set} error=${errors.object_type} />
    <${Text} name="object_id" value=${form.object_id} set=${set} error=${errors.object_id} />
    <${Field} label=${t("admin.audit.outcome")} name="outcome" error=${errors.outcome}>
      <select name="outcome" value=${form.outcome} data-testid="audit-f-outcome" onChange=${(e) => set("outcome", e.target.value)}>
        <option value="">${t("admin.audit.any")}</option>
        ${OUTCOMES.map((o) => html`<option value=${o}>${t(`admin.audit.o.${o}`)}</option>`)}
      </select>
    </${Field}>
    <${Text} name="from" type="datetime-local" value=${form.from} set=${set} error=${errors.from} />
    <${Text} name="to" type="datetime-local" value=${form.to} set=${set} error=${errors.to} />
    <div class="filter-actions">
      <button class="btn primary" type="submit" data-testid="audit-apply">${t("admin.audit.apply")}</button>
      <button class="btn" type="button" data-testid="audit-reset" onClick=${reset}>${t("admin.audit.reset")}</button>
    </div>
  </form>`;
}

function detailsOf(e) {
  const d = e.details || {};
  const parts = [];
  if (d.role_from !== undefined) parts.push(t("admin.audit.roleChange", { from: d.role_from, to: d.role_to }));
  if (d.dropped) parts.push(t("admin.audit.dropped", { n: Object.values(d.dropped).reduce((a, b) => a + b, 0) }));
  if (d.code) parts.push(d.code);
  if (d.status) parts.push(t("admin.audit.status", { status: d.status }));
  return parts.join(" · ") || "—";
}

const COLUMNS = () => [
  { label: t("admin.audit.at"), render: (e) => html`<span class="nowrap">${fmtDateTime(e.at)}</span>` },
  { label: t("admin.audit.actor"), render: (e) => e.username
    ? html`<b>${e.username}</b>${e.role ? html` <span class="tag">${e.role}</span>` : null}`
    : html`<span class="muted">${t("admin.audit.anonymous")}</span>` },
  { label: t("admin.audit.ip"), render: (e) => html`<span class="mono">${e.ip || "—"}</span>` },
  { label: t("admin.audit.action"), render: (e) => html`<span class="mono">${e.action}</span>` },
  { label: t("admin.audit.objectType"), render: (e) => e.object_type
    ? html`${e.object_type}${e.object_id ? html` <span class="mono muted">${e.object_id}</span>` : null}` : "—" },
  { label: t("admin.audit.outcome"), render: (e) => html`<span class=${`outcome ${e.outcome === "ok" ? "ok" : "bad"}`} data-outcome=${e.outcome}>${t(`admin.audit.o.${e.outcome}`)}</span>` },
  { label: t("admin.audit.details"), render: detailsOf },
];

export default function Audit() {
  const [query, setQuery] = useState({});
  const [errors, setErrors] = useState({});
  const key = JSON.stringify(query);
  const list = usePaged((p) => api("GET", "/api/security/audit", null, { ...p, ...query }).catch((err) => {
    const fields = apiErrors(err);
    if (Object.keys(fields).length) setErrors(fields);
    throw err;
  }), [key], 50);
  return html`<div data-testid="admin-audit">
    <${Filters} onApply=${(q) => { setQuery(q); list.reload(); }} errors=${errors} setErrors=${setErrors} />
    <div class="toolbar"><span class="count" data-testid="audit-total" data-total=${list.total}>${t("admin.audit.count", { n: list.total })}</span></div>
    <${ErrorNote} error=${list.error && !Object.keys(apiErrors(list.error)).length ? list.error : null} />
    <${Table} testid="audit-table" columns=${COLUMNS()} rows=${list.rows} empty=${t("admin.audit.empty")} />
    <${Pager} offset=${list.offset} limit=${list.limit} total=${list.total} onPage=${list.setOffset} />
  </div>`;
}
