// Operator workspace (`/workspace`): the operator's status switch (online / busy / offline; wrap-up is set by vssd
// itself after each call, for the configured wrap-up time), the current call with its lead's data, notes,
// disposition buttons (do-not-call asks first and puts the number on the DNC list) and the operator's own calls.
// The call shown is pinned until it has a disposition (or the operator moves on), so a next call bridged during
// the wrap-up does not take the form away; it is announced above the card instead.
// Live facts come from live.js: call.update (a call carries the `operator_id` it was bridged to) and the
// operator's own operator_status_changed. Keyboard: Alt+1/2/3 status, 1–8 dispositions, Ctrl+Enter saves the note.
import { html, useEffect, useMemo, useState } from "../../vendor/preact-htm.mjs";
import { api, can, ApiError } from "../api.js";
import { extend, fmtDateTime, fmtDur, t } from "../i18n.js";
import { calls, on } from "../live.js";
import { toast, useStore } from "../store.js";
import { Button, ErrorNote, Field, Modal, Pager, Table, usePaged } from "../ui.js";

extend({
  ru: {
    "ws.status": "Мой статус", "ws.st.online": "Онлайн", "ws.st.busy": "Занят", "ws.st.wrapup": "Постобработка",
    "ws.st.offline": "Офлайн", "ws.st.wrapupHint": "Ставится автоматически после звонка; «Онлайн» завершает её",
    "ws.ext": "Внутренний номер", "ws.today": "Звонков сегодня", "ws.call": "Текущий звонок",
    "ws.noCall": "Звонка нет. В статусе «Онлайн» звонки кампаний приходят сюда автоматически.",
    "ws.offlineHint": "Вы не на линии: переключитесь в «Онлайн», чтобы получать звонки.",
    "ws.number": "Номер", "ws.callStatus": "Состояние", "ws.talk": "Разговор", "ws.started": "Начало",
    "ws.st_connected": "идёт разговор", "ws.st_ringing": "вызов", "ws.st_initiated": "набор",
    "ws.st_completed": "завершён", "ws.st_failed": "не состоялся",
    "ws.lead": "Клиент", "ws.leadName": "Имя", "ws.leadPhone": "Телефон", "ws.campaign": "Кампания",
    "ws.attempts": "Попытка", "ws.noLead": "Звонок не из кампании — данных клиента нет",
    "ws.notes": "Заметки", "ws.notePlaceholder": "Что сказал клиент… (Ctrl+Enter — сохранить)",
    "ws.saveNote": "Сохранить заметку", "ws.noteSaved": "Заметка сохранена", "ws.noteRequired": "Введите текст заметки",
    "ws.noteTooLong": "Не длиннее 4000 символов", "ws.noNotes": "Заметок пока нет",
    "ws.dispo": "Результат звонка", "ws.dispoDone": "Результат записан: {code}", "ws.dispoSaved": "Результат записан",
    "ws.d.sale": "Продажа", "ws.d.callback": "Перезвонить", "ws.d.not_interested": "Не интересно",
    "ws.d.dnc": "Не звонить", "ws.d.wrong_number": "Ошибка номера", "ws.d.no_answer": "Нет ответа",
    "ws.d.voicemail": "Автоответчик", "ws.d.other": "Другое",
    "ws.dncTitle": "Больше не звонить?", "ws.dncText": "Номер {number} будет внесён в список «Не звонить»: ни одна кампания больше его не наберёт.",
    "ws.dncConfirm": "Да, не звонить", "ws.next": "Новый звонок: {number}", "ws.open": "Открыть",
    "ws.release": "К следующему звонку", "ws.history": "Мои звонки", "ws.outcome": "Итог",
    "ws.keys": "Клавиши: Alt+1 онлайн · Alt+2 занят · Alt+3 офлайн · 1–8 результат · Ctrl+Enter заметка",
    "ws.notOperator": "Рабочее место — для операторов с внутренним номером.",
    "ws.o.answered": "отвечен", "ws.o.abandoned": "сброшен (нет оператора)", "ws.o.no_answer": "нет ответа",
    "ws.o.busy": "занято", "ws.o.failed": "ошибка", "ws.o.unknown": "неизвестно", "ws.o.cancelled": "отменён",
  },
  en: {
    "ws.status": "My status", "ws.st.online": "Online", "ws.st.busy": "Busy", "ws.st.wrapup": "Wrap-up",
    "ws.st.offline": "Offline", "ws.st.wrapupHint": "Set automatically after a call; “Online” ends it",
    "ws.ext": "Extension", "ws.today": "Calls today", "ws.call": "Current call",
    "ws.noCall": "No call. While you are online, campaign calls arrive here by themselves.",
    "ws.offlineHint": "You are not on the line: switch to “Online” to take calls.",
    "ws.number": "Number", "ws.callStatus": "State", "ws.talk": "Talk", "ws.started": "Started",
    "ws.st_connected": "talking", "ws.st_ringing": "ringing", "ws.st_initiated": "dialling",
    "ws.st_completed": "ended", "ws.st_failed": "failed",
    "ws.lead": "Customer", "ws.leadName": "Name", "ws.leadPhone": "Phone", "ws.campaign": "Campaign",
    "ws.attempts": "Attempt", "ws.noLead": "Not a campaign call — no customer data",
    "ws.notes": "Notes", "ws.notePlaceholder": "What the customer said… (Ctrl+Enter saves)",
    "ws.saveNote": "Save note", "ws.noteSaved": "Note saved", "ws.noteRequired": "Write the note first",
    "ws.noteTooLong": "At most 4000 characters", "ws.noNotes": "No notes yet",
    "ws.dispo": "Call result", "ws.dispoDone": "Result recorded: {code}", "ws.dispoSaved": "Result recorded",
    "ws.d.sale": "Sale", "ws.d.callback": "Call back", "ws.d.not_interested": "Not interested",
    "ws.d.dnc": "Do not call", "ws.d.wrong_number": "Wrong number", "ws.d.no_answer": "No answer",
    "ws.d.voicemail": "Voicemail", "ws.d.other": "Other",
    "ws.dncTitle": "Never call again?", "ws.dncText": "{number} goes on the do-not-call list: no campaign will dial it again.",
    "ws.dncConfirm": "Yes, do not call", "ws.next": "New call: {number}", "ws.open": "Open",
    "ws.release": "Next call", "ws.history": "My calls", "ws.outcome": "Outcome",
    "ws.keys": "Keys: Alt+1 online · Alt+2 busy · Alt+3 offline · 1–8 result · Ctrl+Enter note",
    "ws.notOperator": "The workspace is for operators with an extension.",
    "ws.o.answered": "answered", "ws.o.abandoned": "abandoned (no operator)", "ws.o.no_answer": "no answer",
    "ws.o.busy": "busy", "ws.o.failed": "failed", "ws.o.unknown": "unknown", "ws.o.cancelled": "cancelled",
  },
});

const SETTABLE = ["online", "busy", "offline"];
const SWITCH = ["online", "busy", "wrapup", "offline"];
const CODES = ["sale", "callback", "not_interested", "dnc", "wrong_number", "no_answer", "voicemail", "other"];
const MAX_NOTE = 4000;
const done = new Map();  // call id → disposition code recorded from this page (kept across page visits)

const mine = (me) => [...calls.values()].filter((c) => me && c.operator_id === me);
const live = (c) => c && c.state !== "ENDED" && !c.ended_at;
const typing = (e) => ["INPUT", "TEXTAREA", "SELECT"].includes(e.target.tagName);

function useNow(active) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => { if (!active) return; const id = setInterval(() => setNow(Date.now()), 1000); return () => clearInterval(id); }, [active]);
  return now;
}

// Who I am and my operator status: read once, then my operator_status_changed events.
function useOperator() {
  const [me, setMe] = useState({ id: null, status: null, extension: null, today: null, error: null });
  useEffect(() => {
    let alive = true;
    api("GET", "/api/auth/me").then(async (user) => {
      const stats = await api("GET", `/api/operators/${encodeURIComponent(user.id)}/stats`, null, { period: "today" }).catch((error) => ({ error }));
      if (alive) setMe({ id: user.id, status: stats.status || null, today: stats.calls_handled ?? null, extension: user.extension || null, error: stats.error || null });
    }).catch((error) => alive && setMe((m) => ({ ...m, error })));
    return () => { alive = false; };
  }, []);
  useEffect(() => on("operator_status_changed", (d) => setMe((m) => (m.id && String(d.operator_id) === m.id ? { ...m, status: d.status } : m))), []);
  return [me, setMe];
}

function StatusSwitch({ me, setMe }) {
  const [busy, setBusy] = useState(false);
  const allowed = me.id && can("vssd.operators.own.update");
  const set = async (status) => {
    if (!allowed || busy || status === me.status) return;
    setBusy(true);
    try {
      const view = await api("PUT", `/api/operators/${encodeURIComponent(me.id)}/status`, { status });
      setMe((m) => ({ ...m, status: view.status || status, extension: view.extension || m.extension }));
    } catch (err) { toast(err instanceof ApiError && err.status === 403 ? t("forbidden") : err.message, "error"); }
    finally { setBusy(false); }
  };
  useEffect(() => {
    const key = (e) => { if (e.altKey && /^Digit[123]$/.test(e.code)) { e.preventDefault(); set(SETTABLE[Number(e.code.slice(5)) - 1]); } };
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, [me.status, me.id, busy]);
  return html`<div class="ws-status box" data-testid="ws-status" data-status=${me.status || ""}>
    <span class="ws-label">${t("ws.status")}</span>
    <div class="ws-switch" role="radiogroup">
      ${SWITCH.map((s) => {
        const auto = s === "wrapup";
        return html`<button type="button" role="radio" aria-checked=${me.status === s} data-testid=${`ws-status-${s}`}
          class="ws-st ws-st-${s} ${me.status === s ? "on" : ""}" disabled=${auto || busy || !allowed}
          title=${auto ? t("ws.st.wrapupHint") : `Alt+${SETTABLE.indexOf(s) + 1}`} onClick=${() => set(s)}>${t(`ws.st.${s}`)}</button>`;
      })}
    </div>
    <span class="ws-facts">
      ${me.extension ? html`<span>${t("ws.ext")}: <b>${me.extension}</b></span>` : null}
      ${me.today !== null ? html`<span>${t("ws.today")}: <b>${me.today}</b></span>` : null}
    </span>
  </div>`;
}

function LeadFacts({ callId }) {
  const [state, setState] = useState({ lead: null, error: null, loading: true });
  useEffect(() => {
    let alive = true;
    setState({ lead: null, error: null, loading: true });
    api("GET", `/api/autodialer/calls/${encodeURIComponent(callId)}/lead`)
      .then((r) => alive && setState({ lead: r.lead, error: null, loading: false }))
      .catch((error) => alive && setState({ lead: null, error, loading: false }));
    return () => { alive = false; };
  }, [callId]);
  if (state.loading) return html`<div class="loading">${t("loading")}</div>`;
  if (state.error) return state.error.status === 404 ? html`<div class="note">${t("ws.noLead")}</div>` : html`<${ErrorNote} error=${state.error} />`;
  const lead = state.lead;
  const custom = Object.entries(lead.data && typeof lead.data === "object" ? lead.data : {});
  const show = (v) => (v !== null && typeof v === "object" ? Object.entries(v).map(([k, x]) => `${k}: ${x}`).join(", ") : String(v));
  return html`<dl class="facts ws-lead" data-testid="ws-lead">
    <dt>${t("ws.leadName")}</dt><dd class="ws-big">${lead.name || "—"}</dd>
    <dt>${t("ws.leadPhone")}</dt><dd class="ws-big">${lead.phone}</dd>
    <dt>${t("ws.campaign")}</dt><dd>${lead.campaign_id}</dd>
    ${lead.attempts ? html`<dt>${t("ws.attempts")}</dt><dd>${lead.attempts}</dd>` : null}
    ${custom.map(([k, v]) => html`<dt>${k}</dt><dd>${show(v)}</dd>`)}
  </dl>`;
}

function Notes({ callId, draft, setDraft }) {
  const [notes, setNotes] = useState({ rows: [], error: null });
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  const load = () => api("GET", `/api/crm/notes/${encodeURIComponent(callId)}`)
    .then((r) => setNotes({ rows: r.notes || [], error: null })).catch((err) => setNotes({ rows: [], error: err }));
  useEffect(() => { setError(null); load(); }, [callId]);
  const save = async () => {
    const text = draft.trim();
    if (!text) { setError(t("ws.noteRequired")); return; }
    if (text.length > MAX_NOTE) { setError(t("ws.noteTooLong")); return; }
    setSaving(true); setError(null);
    try { await api("POST", "/api/crm/note", { call_id: callId, text }); setDraft(""); toast(t("ws.noteSaved")); await load(); }
    catch (err) { setError(err instanceof ApiError ? (err.fields().text || (err.status === 403 ? t("forbidden") : err.message)) : err.message); }
    finally { setSaving(false); }
  };
  const key = (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); save(); } };
  return html`<div class="ws-notes">
    <${Field} label=${t("ws.notes")} name="text" error=${error}>
      <textarea data-testid="ws-note" rows="4" maxlength=${MAX_NOTE} placeholder=${t("ws.notePlaceholder")} value=${draft}
        onInput=${(e) => setDraft(e.target.value)} onKeyDown=${key}></textarea>
    </${Field}>
    <button class="btn primary" data-testid="ws-save-note" disabled=${saving} onClick=${save}>${t("ws.saveNote")}</button>
    ${notes.error ? html`<${ErrorNote} error=${notes.error} />` : html`<ul class="ws-note-list" data-testid="ws-notes">
      ${notes.rows.length ? notes.rows.map((n) => html`<li><span class="ws-when">${fmtDateTime(n.timestamp || n.created_at)}</span> ${n.text}</li>`) : html`<li class="ws-empty">${t("ws.noNotes")}</li>`}
    </ul>`}
  </div>`;
}

function Dispositions({ call, draft, onDone }) {
  const [ask, setAsk] = useState(false);
  const [busy, setBusy] = useState(false);
  const recorded = done.get(call.call_id);
  const allowed = can("vssd.calls.dispositions.create");
  const send = async (code) => {
    setBusy(true);
    try {
      const notes = draft.trim().slice(0, 2000);
      await api("POST", "/api/autodialer/dispositions", { call_id: call.call_id, code, notes });
      done.set(call.call_id, code);
      toast(t("ws.dispoSaved"));
      onDone(code);
    } catch (err) { toast(err instanceof ApiError && err.status === 403 ? t("forbidden") : err.message, "error"); }
    finally { setBusy(false); setAsk(false); }
  };
  const pick = (code) => { if (busy || recorded || !allowed) return; code === "dnc" ? setAsk(true) : send(code); };
  useEffect(() => {
    const key = (e) => { if (!typing(e) && !e.altKey && !e.ctrlKey && !e.metaKey && /^Digit[1-8]$/.test(e.code) && !ask) pick(CODES[Number(e.code.slice(5)) - 1]); };
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, [call.call_id, busy, recorded, ask, draft]);
  return html`<div class="ws-dispo">
    <h3>${t("ws.dispo")}</h3>
    ${recorded ? html`<div class="note ok" data-testid="ws-dispo-done">${t("ws.dispoDone", { code: t(`ws.d.${recorded}`) })}</div>` : null}
    <div class="ws-dispo-grid">
      ${CODES.map((code, i) => html`<button type="button" class="btn ws-d ws-d-${code} ${recorded === code ? "on" : ""}" data-testid=${`ws-d-${code}`}
        disabled=${busy || !!recorded || !allowed} onClick=${() => pick(code)}><kbd>${i + 1}</kbd> ${t(`ws.d.${code}`)}</button>`)}
    </div>
    ${ask ? html`<${Modal} title=${t("ws.dncTitle")} onClose=${() => setAsk(false)}>
      <p>${t("ws.dncText", { number: call.phone_number })}</p>
      <div class="actions">
        <${Button} kind="danger" testid="ws-dnc-confirm" action=${() => send("dnc")}>${t("ws.dncConfirm")}</${Button}>
        <button class="btn" onClick=${() => setAsk(false)}>${t("cancel")}</button>
      </div>
    </${Modal}>` : null}
  </div>`;
}

function CallCard({ call, now, onRelease, onDisposed }) {
  const [draft, setDraft] = useState("");
  useEffect(() => setDraft(""), [call.call_id]);
  const talking = live(call) && call.answered_at;
  const talk = talking ? (now - Date.parse(call.answered_at)) / 1000 : call.talk_s;
  return html`<div class="box ws-call" data-testid="ws-call" data-call-id=${call.call_id} data-live=${live(call) ? "1" : "0"}>
    <div class="ws-call-head">
      <span class="ws-phone">☎ ${call.phone_number}</span>
      <span class="badge ws-cs-${call.status}">${t(`ws.st_${call.status}`)}</span>
      <span class="ws-timer" title=${t("ws.talk")}>${fmtDur(talk)}</span>
      <span class="spacer"></span>
      ${live(call) ? null : html`<button class="btn" data-testid="ws-release" onClick=${onRelease}>${t("ws.release")}</button>`}
    </div>
    <div class="ws-call-grid">
      <div><h3>${t("ws.lead")}</h3><${LeadFacts} callId=${call.call_id} /></div>
      <div><${Notes} callId=${call.call_id} draft=${draft} setDraft=${setDraft} /></div>
    </div>
    <${Dispositions} call=${call} draft=${draft} onDone=${() => { setDraft(""); onDisposed(); }} />
  </div>`;
}

function History({ me, reloadOn, onOpen }) {
  const list = usePaged((p) => api("GET", "/api/calls", null, { limit: p.limit, offset: p.offset })
    .then((r) => Object.defineProperty(r.items || [], "total", { value: r.total, enumerable: false })), [me, reloadOn], 10);
  useStore((s) => s.callsVersion);
  const rows = list.rows.map((c) => ({ ...c, ...(calls.get(c.call_id) || {}) }));  // a live view is fresher than the stored row
  const status = (c) => t(`ws.st_${c.status}`);
  const outcome = (c) => (c.outcome ? (t(`ws.o.${c.outcome}`) === `ws.o.${c.outcome}` ? c.outcome : t(`ws.o.${c.outcome}`)) : "—");
  return html`<div class="box">
    <h3>${t("ws.history")}</h3>
    <${ErrorNote} error=${list.error} />
    <${Table} testid="ws-history" rowKey=${(c) => c.call_id} rows=${rows} onRow=${onOpen}
      columns=${[{ label: t("ws.started"), render: (c) => fmtDateTime(c.started_at) }, { label: t("ws.number"), key: "phone_number" },
        { label: t("ws.callStatus"), render: status }, { label: t("ws.outcome"), render: outcome },
        { label: t("ws.talk"), render: (c) => fmtDur(c.talk_s) }, { label: t("ws.dispo"), render: (c) => (done.has(c.call_id) ? t(`ws.d.${done.get(c.call_id)}`) : "—") }]} />
    <${Pager} offset=${list.offset} limit=${list.limit} total=${list.total} onPage=${list.setOffset} />
  </div>`;
}

// The call the card shows: pinned until disposed or released; else my newest live call; else my newest call
// without a disposition. `next` is a live call of mine waiting behind the pinned one.
function useFocus(me) {
  const version = useStore((s) => s.callsVersion);
  const [pinned, setPinned] = useState(null);
  const [ended, setEnded] = useState(0);
  useEffect(() => on("call.update", (c) => { if (me && c.operator_id === me && (c.state === "ENDED" || c.ended_at)) setEnded((n) => n + 1); }), [me]);
  useEffect(() => { if (!me) return; api("GET", "/api/calls/active").then((rows) => (rows || []).forEach((c) => { if (c.operator_id === me && !calls.has(c.call_id)) calls.set(c.call_id, c); })).catch(() => {}); }, [me]);
  const own = useMemo(() => mine(me), [me, version]);
  const latest = (id) => own.find((c) => c.call_id === id) || (pinned && pinned.call_id === id ? pinned : null);
  const candidate = [...own].reverse().find((c) => live(c) && !done.has(c.call_id));
  useEffect(() => { if ((!pinned || done.has(pinned.call_id)) && candidate) setPinned(candidate); }, [candidate && candidate.call_id, pinned && pinned.call_id, pinned && done.has(pinned.call_id)]);
  const current = pinned ? latest(pinned.call_id) : null;
  const next = candidate && current && candidate.call_id !== current.call_id ? candidate : null;
  return { current, next, ended, pin: setPinned, release: () => setPinned(candidate || null) };
}

export default function Workspace() {
  const [me, setMe] = useOperator();
  const focus = useFocus(me.id);
  const now = useNow(!!(focus.current && live(focus.current)));
  const [, setTick] = useState(0);
  if (me.error && me.error.status === 403) return html`<section class="page"><div class="note error">${t("ws.notOperator")}</div></section>`;
  const call = focus.current;
  const onDisposed = () => setTick((n) => n + 1);  // the pinned call is done: the next live call may take its place
  return html`<section class="page workspace" data-testid="workspace">
    <${StatusSwitch} me=${me} setMe=${setMe} />
    ${focus.next ? html`<div class="ws-next" data-testid="ws-next">${t("ws.next", { number: focus.next.phone_number })}
      <button class="btn small" onClick=${() => focus.pin(focus.next)}>${t("ws.open")}</button></div>` : null}
    ${call ? html`<${CallCard} key=${call.call_id} call=${call} now=${now} onRelease=${focus.release} onDisposed=${onDisposed} />`
      : html`<div class="box ws-call ws-idle" data-testid="ws-no-call">
          <h3>${t("ws.call")}</h3>
          <div class="note">${me.status === "offline" ? t("ws.offlineHint") : t("ws.noCall")}</div>
        </div>`}
    <${History} me=${me.id} reloadOn=${focus.ended} onOpen=${(c) => focus.pin(c)} />
    <div class="ws-keys">${t("ws.keys")}</div>
  </section>`;
}
