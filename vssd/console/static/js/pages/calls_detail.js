// One call (`/calls?call=<id>`): GET /api/calls/{id} (times, durations, hangup cause, recording), its CDR legs from
// GET /api/pbx/cdr/{id} when the role may read CDRs (404 while the call is live or unstored), and its CRM notes:
// GET /api/crm/notes/{id} → {notes: [{text, timestamp, author_id…}]}, POST /api/crm/note {call_id, text}
// (1 to 4000 characters). A 404 on the notes says "notes unavailable"; a 403 that they are not this user's.
import { html, useEffect, useState } from "../../vendor/preact-htm.mjs";
import { api, can } from "../api.js";
import { fmtDateTime, fmtTime, t } from "../i18n.js";
import { calls } from "../live.js";
import { toast, useStore } from "../store.js";
import { Button, ErrorNote, Field, Modal, Table } from "../ui.js";
import { CallState, dur, operatorOf, Outcome, useOperatorNames, word } from "./calls_common.js";

const MAX_NOTE = 4000;

function useRead(path, enabled = true, again = null) {
  const [state, setState] = useState({ data: null, error: null, loading: enabled });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    let alive = true;
    api("GET", path).then((data) => alive && setState({ data, error: null, loading: false }))
      .catch((error) => alive && setState({ data: null, error, loading: false }));
    return () => { alive = false; };
  }, [path, tick, again]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

// The call as the API shows it now, with what only its stored record has (the hangup cause's text, the
// recording, the caller id) filled in.
function withRecord(call, record) {
  if (!record) return call;
  const out = { ...call };
  for (const [k, v] of Object.entries(record)) if (k !== "legs" && (out[k] === null || out[k] === undefined)) out[k] = v;
  return out;
}

function secs(value) { return value === null || value === undefined ? "—" : `${dur(value)} (${t("calls.sec", { n: Number(value).toFixed(1) })})`; }

function Facts({ call, names }) {
  const cause = call.cause_text ? `${call.cause_text}${call.cause !== null && call.cause !== undefined ? ` (${call.cause})` : ""}` : call.cause;
  const rows = [
    ["calls.d.id", html`<span class="mono">${call.call_id ?? call.id}</span>`],
    ["calls.col.state", html`<${CallState} call=${call} />`],
    ["calls.col.status", word("status", call.status)],
    ["calls.col.outcome", html`<${Outcome} call=${call} />`],
    ["calls.col.number", html`<span class="mono">${call.phone_number || "—"}</span>`],
    ["calls.col.direction", word("dir", call.direction)],
    ["calls.col.slot", call.slot_id ? `#${call.slot_id}` : "—"],
    ["calls.col.operator", operatorOf(call, names)],
    ["calls.d.callerId", call.caller_id || "—"],
    ["calls.col.started", fmtDateTime(call.started_at)],
    ["calls.d.answered", fmtDateTime(call.answered_at)],
    ["calls.d.ended", fmtDateTime(call.ended_at)],
    ["calls.col.ring", secs(call.ring_s)],
    ["calls.col.talk", secs(call.talk_s)],
    ["calls.col.cause", cause ?? "—"],
    ["calls.d.evidence", call.answer_evidence || "—"],
    ["calls.d.channel", html`<span class="mono">${call.channel_id || "—"}</span>`],
    ["calls.d.recording", call.recording_url ? html`<a href=${call.recording_url} target="_blank" rel="noopener" data-testid="call-recording">${t("calls.d.listen")}</a>` : t("calls.d.none")],
  ];
  return html`<dl class="facts" data-testid="call-facts">${rows.map(([k, v]) => html`<dt>${t(k)}</dt><dd data-fact=${k.split(".").pop()}>${v}</dd>`)}</dl>`;
}

function Legs({ cdr }) {
  const allowed = can("vssd.cdr.read");
  if (!allowed) return html`<div class="note">${t("calls.d.cdrForbidden")}</div>`;
  if (cdr.loading) return html`<div class="loading">${t("loading")}</div>`;
  if (cdr.error) return cdr.error.status === 404 ? html`<div class="note" data-testid="call-no-cdr">${t("calls.d.noCdr")}</div>` : html`<${ErrorNote} error=${cdr.error} />`;
  const legs = cdr.data.legs || [];
  return html`<${Table} testid="call-legs" rowKey=${(l) => l.uniqueid || l.channel} rows=${legs} columns=${[
    { label: t("calls.d.leg.channel"), render: (l) => html`<span class="mono">${l.channel}</span>` },
    { label: t("calls.d.leg.role"), key: "role" },
    { label: t("calls.d.leg.created"), render: (l) => fmtTime(l.created_at) },
    { label: t("calls.d.answered"), render: (l) => fmtTime(l.answered_at) },
    { label: t("calls.d.ended"), render: (l) => fmtTime(l.ended_at) },
    { label: t("calls.col.cause"), render: (l) => l.cause_text ? `${l.cause_text} (${l.cause})` : (l.cause ?? "—") },
  ]} />`;
}

function noteProblem(text) {
  if (!text.trim()) return t("calls.notes.required");
  if (text.length > MAX_NOTE) return t("calls.notes.tooLong");
  return null;
}

function AddNote({ id, onAdded }) {
  const [text, setText] = useState("");
  const [error, setError] = useState(null);
  const save = async () => {
    const problem = noteProblem(text);
    if (problem) { setError(problem); return; }
    await api("POST", "/api/crm/note", { call_id: id, text });
    setText(""); setError(null); toast(t("calls.notes.saved")); onAdded();
  };
  const failed = (err) => { const f = err.fields ? err.fields() : {}; setError(f.text || f._ || err.message); };
  return html`<div class="note-form" data-testid="note-form">
    <${Field} label=${t("calls.notes.text")} name="text" error=${error}>
      <textarea name="text" rows="3" maxlength=${MAX_NOTE} value=${text} data-testid="note-text" onInput=${(e) => { setText(e.target.value); setError(null); }}></textarea>
    </${Field}>
    <${Button} kind="primary" action=${save} onError=${failed} testid="note-add">${t("calls.notes.add")}</${Button}>
  </div>`;
}

function Notes({ id }) {
  const notes = useRead(`/api/crm/notes/${encodeURIComponent(id)}`, can("vssd.crm.notes.read"));
  const names = useOperatorNames();
  if (!can("vssd.crm.notes.read")) return html`<div class="note">${t("calls.notes.forbidden")}</div>`;
  if (notes.loading) return html`<div class="loading">${t("loading")}</div>`;
  if (notes.error) {
    const status = notes.error.status;
    const text = status === 404 || status === 503 ? t("calls.notes.unavailable") : status === 403 ? t("calls.notes.forbidden") : notes.error.message;
    return html`<div class="note" data-testid="notes-unavailable">${text}</div>`;
  }
  const list = (notes.data && notes.data.notes) || [];
  return html`<div data-testid="call-notes">
    ${list.length ? html`<ul class="notes">${list.map((n) => html`<li key=${n.id} data-testid="note">
      <div class="note-meta">${fmtDateTime(n.timestamp || n.created_at)} · ${operatorOf({ operator_id: n.author_id }, names)}</div>
      <div class="note-text">${n.text}</div></li>`)}</ul>` : html`<div class="note">${t("calls.notes.none")}</div>`}
    ${can("vssd.crm.notes.create") ? html`<${AddNote} id=${id} onAdded=${notes.reload} />` : null}
  </div>`;
}

// A live call is re-read when its socket view changes state (dialing → talking → ended), not on a timer.
function useLiveState(id) {
  useStore((s) => s.callsVersion);
  const view = calls.get(String(id));
  return view ? `${view.state}/${view.ended_at || ""}` : null;
}

export function CallDetail({ id, onClose }) {
  const again = useLiveState(id);
  const call = useRead(`/api/calls/${encodeURIComponent(id)}`, true, again);
  const cdr = useRead(`/api/pbx/cdr/${encodeURIComponent(id)}`, can("vssd.cdr.read"), again);
  const names = useOperatorNames();
  const title = t("calls.detail", { id });
  let body;
  if (call.loading) body = html`<div class="loading">${t("loading")}</div>`;
  else if (call.error) body = call.error.status === 404 ? html`<div class="note">${t("calls.d.notFound")}</div>` : html`<${ErrorNote} error=${call.error} />`;
  else body = html`<div class="panel-grid"><div><h3>${t("calls.d.call")}</h3><${Facts} call=${withRecord(call.data, cdr.data)} names=${names} /></div>
    <div><h3>${t("calls.notes")}</h3><${Notes} id=${id} /></div></div>
    <h3>${t("calls.d.cdr")}</h3><${Legs} cdr=${cdr} />`;
  return html`<${Modal} title=${title} onClose=${onClose} wide><div data-testid="call-detail">${body}</div></${Modal}>`;
}
