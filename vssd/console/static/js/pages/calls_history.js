// The calls' history tab: GET /api/calls with the API's filters (vssd/api/calls/routes.py: status, outcome,
// direction, slot_id, number, date_from/date_to, campaign_id, operator_id; limit/offset, X-Total-Count), paged.
// The filters live in the address (`/calls?tab=history&outcome=busy&from=2026-12-01…`) so a link can be shared;
// the form is checked before the address changes and the API's own 422 details are shown beside the fields.
// Dates are the browser's calendar days: `from` is the start of that day, `to` the end of that day (exclusive
// start of the next one), sent as UTC instants.
import { html, useEffect, useState } from "../../vendor/preact-htm.mjs";
import { api, ApiError, can, session } from "../api.js";
import { fmtDateTime, fmtNum, t } from "../i18n.js";
import { navigate } from "../router.js";
import { ErrorNote, Field, Pager, Table, usePaged } from "../ui.js";
import { CallState, DIRECTIONS, dur, open, operatorOf, OUTCOMES, ownOnly, STATUSES, useOperatorNames, word } from "./calls_common.js";

const KEYS = ["status", "outcome", "direction", "slot_id", "number", "from", "to", "campaign_id", "operator_id"];
const NUMBER = /^\+?\d{5,15}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const API_FIELD = { date_from: "from", date_to: "to", phone_number: "number" };

function fromQuery(q) { return Object.fromEntries(KEYS.map((k) => [k, q.get(k) || ""])); }

function localDay(text, plusDays = 0) {
  const [y, m, d] = text.split("-").map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}

// The form's problems as {field: message}; empty when it may be sent.
export function check(f) {
  const bad = {};
  if (f.number && !NUMBER.test(f.number.replace(/[\s()-]/g, ""))) bad.number = t("calls.f.numberBad");
  if (f.slot_id && !/^[1-9]\d*$/.test(f.slot_id)) bad.slot_id = t("calls.f.slotBad");
  for (const k of ["from", "to"]) if (f[k] && !DAY.test(f[k])) bad[k] = t("calls.f.dateBad");
  if (!bad.from && !bad.to && f.from && f.to && f.to < f.from) bad.to = t("calls.f.rangeBad");
  return bad;
}

// The API's query for the filters in the address.
function apiQuery(f) {
  const out = {};
  for (const k of ["status", "outcome", "direction", "slot_id", "campaign_id", "operator_id"]) if (f[k]) out[k] = f[k];
  if (f.number) out.number = f.number.replace(/[\s()-]/g, "");
  if (f.from && DAY.test(f.from)) out.date_from = localDay(f.from);
  if (f.to && DAY.test(f.to)) out.date_to = localDay(f.to, 1);
  return out;
}

function useCampaigns() {
  const [list, setList] = useState([]);
  useEffect(() => {
    if (!can("vssd.campaigns.read")) return;
    api("GET", "/api/autodialer/campaigns", null, { limit: 500 }).then((rows) => setList(Array.isArray(rows) ? rows : [])).catch(() => setList([]));
  }, []);
  return list;
}

function Choice({ name, label, value, options, onChange, render }) {
  return html`<${Field} label=${label} name=${name}>
    <select name=${name} value=${value} onChange=${(e) => onChange(name, e.target.value)} data-testid=${`calls-f-${name}`}>
      <option value="">${t("calls.f.any")}</option>
      ${options.map((o) => html`<option value=${o.value ?? o}>${render ? render(o) : o}</option>`)}
    </select>
  </${Field}>`;
}

function Text({ name, label, value, onChange, error, hint, type = "text", placeholder }) {
  return html`<${Field} label=${label} name=${name} error=${error} hint=${hint}>
    <input name=${name} type=${type} value=${value} placeholder=${placeholder} data-testid=${`calls-f-${name}`}
      onInput=${(e) => onChange(name, e.target.value)} />
  </${Field}>`;
}

function Filters({ applied, errors, setErrors, names }) {
  const [form, setForm] = useState(applied);
  useEffect(() => setForm(applied), [JSON.stringify(applied)]);
  const campaigns = useCampaigns();
  const set = (k, v) => { setForm((f) => ({ ...f, [k]: v })); if (errors[k]) setErrors({ ...errors, [k]: undefined }); };
  const submit = (e) => {
    e.preventDefault();
    const bad = check(form);
    setErrors(bad);
    if (Object.keys(bad).length) return;
    const q = new URLSearchParams({ tab: "history" });
    for (const k of KEYS) if (form[k]) q.set(k, form[k].trim());
    navigate(`/calls?${q}`);
  };
  const operators = Object.entries(names).map(([value, name]) => ({ value, name }));
  return html`<form class="filters box" onSubmit=${submit} data-testid="calls-filters" novalidate>
    <${Choice} name="status" label=${t("calls.f.status")} value=${form.status} options=${STATUSES} onChange=${set} render=${(s) => word("status", s)} />
    <${Choice} name="outcome" label=${t("calls.f.outcome")} value=${form.outcome} options=${OUTCOMES} onChange=${set} render=${(s) => word("outcome", s)} />
    <${Choice} name="direction" label=${t("calls.f.direction")} value=${form.direction} options=${DIRECTIONS} onChange=${set} render=${(s) => word("dir", s)} />
    <${Text} name="slot_id" label=${t("calls.f.slot")} value=${form.slot_id} onChange=${set} error=${errors.slot_id} type="text" placeholder="12" />
    <${Text} name="number" label=${t("calls.f.number")} value=${form.number} onChange=${set} error=${errors.number} hint=${t("calls.f.numberHint")} placeholder="+79991234567" />
    <${Text} name="from" label=${t("calls.f.from")} value=${form.from} onChange=${set} error=${errors.from} type="date" />
    <${Text} name="to" label=${t("calls.f.to")} value=${form.to} onChange=${set} error=${errors.to} type="date" />
    ${campaigns.length ? html`<${Choice} name="campaign_id" label=${t("calls.f.campaign")} value=${form.campaign_id} options=${campaigns.map((c) => ({ value: c.id, name: c.name }))} onChange=${set} render=${(o) => o.name} />` : null}
    ${!ownOnly(session()) && operators.length ? html`<${Choice} name="operator_id" label=${t("calls.f.operator")} value=${form.operator_id} options=${operators} onChange=${set} render=${(o) => o.name} />` : null}
    <div class="filter-actions">
      <button class="btn primary" type="submit" data-testid="calls-apply">${t("calls.f.apply")}</button>
      <button class="btn" type="button" data-testid="calls-reset" onClick=${() => navigate("/calls?tab=history")}>${t("calls.f.reset")}</button>
    </div>
  </form>`;
}

// The API's 422 details → {form field: message}; what names no field goes to the list's note.
function apiErrors(error) {
  if (!(error instanceof ApiError) || error.status !== 422) return {};
  const out = {};
  for (const [k, msg] of Object.entries(error.fields())) out[API_FIELD[k] || k] = msg;
  return out;
}

export function History({ query }) {
  const applied = fromQuery(query);
  const key = JSON.stringify(applied);
  const [errors, setErrors] = useState({});
  const names = useOperatorNames();
  const bad = check(applied);
  const [loadedKey, setLoadedKey] = useState(null);  // the filters the rows shown were read for (a test hook)
  const read = (page) => Object.keys(bad).length ? Promise.resolve([]) : api("GET", "/api/calls", null, { ...apiQuery(applied), ...page })
    .then((body) => { const rows = body.items || []; Object.defineProperty(rows, "total", { value: body.total }); return rows; });
  const list = usePaged((page) => read(page).finally(() => setLoadedKey(key)), [key], 50);
  useEffect(() => setErrors({ ...bad, ...apiErrors(list.error) }), [key, list.error]);
  const columns = [
    { label: t("calls.col.started"), render: (c) => html`<span data-call=${c.call_id ?? c.id}>${fmtDateTime(c.started_at)}</span>` },
    { label: t("calls.col.number"), render: (c) => html`<span class="mono">${c.phone_number || "—"}</span>` },
    { label: t("calls.col.direction"), render: (c) => word("dir", c.direction) },
    { label: t("calls.col.slot"), render: (c) => (c.slot_id ? `#${c.slot_id}` : "—") },
    { label: t("calls.col.operator"), render: (c) => operatorOf(c, names) },
    { label: t("calls.col.state"), render: (c) => html`<${CallState} call=${c} />` },
    { label: t("calls.col.status"), render: (c) => html`<span data-status=${c.status}>${word("status", c.status)}</span>` },
    { label: t("calls.col.outcome"), render: (c) => html`<span data-outcome=${c.outcome || ""}>${word("outcome", c.outcome)}</span>` },
    { label: t("calls.col.ring"), render: (c) => html`<span class="mono">${dur(c.ring_s)}</span>` },
    { label: t("calls.col.talk"), render: (c) => html`<span class="mono">${dur(c.talk_s)}</span>` },
    { label: t("calls.col.cause"), render: (c) => c.cause_text || c.cause || "—" },
  ];
  const generic = list.error && !Object.keys(apiErrors(list.error)).some((k) => KEYS.includes(k)) ? list.error : null;
  return html`<div data-testid="calls-history" data-loaded=${!list.loading && loadedKey === key ? "yes" : "no"}>
    <${Filters} applied=${applied} errors=${errors} setErrors=${setErrors} names=${names} />
    <${ErrorNote} error=${generic} />
    <div class="toolbar"><span class="count" data-testid="calls-history-count">${t("calls.found", { n: fmtNum(list.total) })}</span></div>
    <${Table} testid="calls-history-table" columns=${columns} rows=${list.rows} rowKey=${(c) => c.call_id ?? c.id} onRow=${(c) => open(c.call_id ?? c.id)} />
    <${Pager} offset=${list.offset} limit=${list.limit} total=${list.total} onPage=${list.setOffset} />
  </div>`;
}
