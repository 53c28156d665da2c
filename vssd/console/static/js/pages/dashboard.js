// Dashboard (`/dashboard`): the period's call figures (calls, answered, missed, abandoned, ASR, ACD) with a period
// selector, calls per hour (uPlot bars), slots by state (live, from the farm's slot map), operators by status and
// the system alerts with acknowledgement.
// Frugal by design (the API allows 60 dashboard reads a minute per user): one `GET /api/dashboard` per refresh;
// a refresh happens on open, on a period change, and when a call starts or ends (the figures count every stored
// call) or an operator's status changes — coalesced to at most one every REFRESH_GAP_MS, and never sooner than
// WRITER_LAG_MS after the event (the daemon stores calls in batches, a moment after it tells of them). No polling.
import uPlot from "../../vendor/uPlot.esm.js";
import { html, useEffect, useMemo, useRef, useState } from "../../vendor/preact-htm.mjs";
import { api } from "../api.js";
import { extend, fmtDur, fmtNum, fmtPct, getLang, t } from "../i18n.js";
import { on, slots } from "../live.js";
import { useStore } from "../store.js";
import { ErrorNote, Plot, STATES } from "../ui.js";
import { Alerts } from "./dashboard_alerts.js";

extend({
  ru: {
    "dash.period": "Период", "dash.today": "Сегодня", "dash.yesterday": "Вчера", "dash.week": "7 дней", "dash.month": "30 дней",
    "dash.calls": "Звонки", "dash.answered": "Отвечено", "dash.missed": "Без ответа", "dash.abandoned": "Брошено",
    "dash.asr": "ASR", "dash.asrHint": "Доля отвеченных среди завершённых", "dash.acd": "ACD",
    "dash.acdHint": "Средняя длительность разговора (мм:сс)", "dash.perHour": "Звонки по часам",
    "dash.perHourSum": "Звонки по часам суток (сумма за период)", "dash.slots": "Слоты по состояниям",
    "dash.slotsTotal": "всего {n}", "dash.operators": "Операторы по статусам", "dash.updated": "Обновлено {time}",
    "dash.op.online": "Свободны", "dash.op.busy": "В разговоре", "dash.op.wrapup": "Постобработка", "dash.op.offline": "Не в сети",
  },
  en: {
    "dash.period": "Period", "dash.today": "Today", "dash.yesterday": "Yesterday", "dash.week": "7 days", "dash.month": "30 days",
    "dash.calls": "Calls", "dash.answered": "Answered", "dash.missed": "Not answered", "dash.abandoned": "Abandoned",
    "dash.asr": "ASR", "dash.asrHint": "Answered share of ended calls", "dash.acd": "ACD",
    "dash.acdHint": "Average talk time (mm:ss)", "dash.perHour": "Calls per hour",
    "dash.perHourSum": "Calls per hour of day (period total)", "dash.slots": "Slots by state",
    "dash.slotsTotal": "{n} in all", "dash.operators": "Operators by status", "dash.updated": "Updated {time}",
    "dash.op.online": "Available", "dash.op.busy": "On a call", "dash.op.wrapup": "Wrap-up", "dash.op.offline": "Offline",
  },
});

const PERIODS = ["today", "yesterday", "week", "month"];
const OPERATOR_STATUSES = ["online", "busy", "wrapup", "offline"];
const REFRESH_GAP_MS = 5000;
const WRITER_LAG_MS = 1000;
const SEEN_CALLS = 2000;
const TZ = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch { return "UTC"; } })();

// mm:ss below an hour, h:mm:ss above.
export function fmtAcd(seconds) {
  const text = fmtDur(seconds);
  return text.length === 4 ? `0${text}` : text;
}

function callEnded(view) { return view.state === "ENDED" || !!view.ended_at; }

// Whether a call.update changes the figures: a call not seen before (it is counted from its start) or one ending.
function countsChange(seen) {
  return (view) => {
    if (!view) return false;
    const id = String(view.call_id ?? view.id);
    const known = seen.has(id);
    if (callEnded(view)) { seen.add(id); return true; }
    if (known) return false;
    seen.add(id);
    if (seen.size > SEEN_CALLS) seen.delete(seen.values().next().value);
    return true;
  };
}

// The dashboard's figures: read now, then again when `trigger()` is called, at most once every REFRESH_GAP_MS
// (a trigger schedules one read; more triggers meanwhile add nothing).
function useFigures(period) {
  const [state, setState] = useState({ data: null, error: null, reads: 0, at: null });
  const last = useRef(0);
  const timer = useRef(0);
  const read = useRef(null);
  read.current = async () => {
    last.current = Date.now(); timer.current = 0;
    try {
      const data = await api("GET", "/api/dashboard", null, { period, tz: TZ });
      setState((s) => ({ data, error: null, reads: s.reads + 1, at: Date.now() }));
    } catch (error) { setState((s) => ({ ...s, error, reads: s.reads + 1 })); }
  };
  const trigger = () => {
    if (timer.current) return;
    const wait = Math.max(WRITER_LAG_MS, last.current + REFRESH_GAP_MS - Date.now());
    timer.current = setTimeout(() => read.current(), wait);
  };
  useEffect(() => { clearTimeout(timer.current); read.current(); }, [period]);
  useEffect(() => {
    const changes = countsChange(new Set());
    const offs = [on("call.update", (v) => changes(v) && trigger()), on("operator_status_changed", trigger),
      on("operator_logged_in", trigger)];
    return () => { offs.forEach((off) => off()); clearTimeout(timer.current); };
  }, []);
  return state;
}

function Card({ id, label, value, raw, hint, kind = "" }) {
  return html`<div class="card dash-card ${kind}" data-testid=${`card-${id}`} data-value=${raw === null || raw === undefined ? "" : String(raw)} title=${hint}>
    <div class="label">${label}</div><div class="value">${value}</div>
  </div>`;
}

function Cards({ calls }) {
  const c = calls || {};
  return html`<div class="cards dash-cards" data-testid="dash-cards">
    <${Card} id="total" label=${t("dash.calls")} value=${fmtNum(c.total)} raw=${c.total} />
    <${Card} id="answered" label=${t("dash.answered")} value=${fmtNum(c.answered)} raw=${c.answered} kind="ok" />
    <${Card} id="missed" label=${t("dash.missed")} value=${fmtNum(c.missed)} raw=${c.missed} />
    <${Card} id="abandoned" label=${t("dash.abandoned")} value=${fmtNum(c.abandoned)} raw=${c.abandoned} kind="bad" />
    <${Card} id="asr" label=${t("dash.asr")} hint=${t("dash.asrHint")} value=${c.asr === null || c.asr === undefined ? "—" : fmtPct(c.asr / 100)} raw=${c.asr} />
    <${Card} id="acd" label=${t("dash.acd")} hint=${t("dash.acdHint")} value=${fmtAcd(c.acd)} raw=${c.acd} />
  </div>`;
}

function PerHour({ hours, period }) {
  const lang = getLang();
  const data = useMemo(() => [hours.map((_, i) => i), hours.map((h) => h.calls), hours.map((h) => h.answered)], [hours]);
  const series = useMemo(() => [
    { label: t("dash.calls"), stroke: "#1f6feb", fill: "rgba(31,111,235,.35)", width: 1, paths: uPlot.paths.bars({ size: [0.8, 40] }), points: { show: false } },
    { label: t("dash.answered"), stroke: "#2e7d32", fill: "rgba(46,125,50,.55)", width: 1, paths: uPlot.paths.bars({ size: [0.45, 22] }), points: { show: false } },
  ], [lang]);
  const axes = [{ values: (_, ticks) => ticks.map((v) => `${String(v).padStart(2, "0")}:00`), space: 44 }, { size: 44 }];
  return html`<div class="box" data-testid="per-hour">
    <h3>${period === "today" || period === "yesterday" ? t("dash.perHour") : t("dash.perHourSum")}</h3>
    <${Plot} key=${lang} data=${data} series=${series} height=${200} scales=${{ x: { time: false, range: [-0.5, 23.5] } }} axes=${axes} testid="per-hour-plot" />
  </div>`;
}

function SlotStates() {
  const version = useStore((s) => s.slotsVersion);
  const counts = useMemo(() => { const c = {}; for (const s of slots.values()) c[s.fsm_state || "IDLE"] = (c[s.fsm_state || "IDLE"] || 0) + 1; return c; }, [version]);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const known = [...STATES, ...Object.keys(counts).filter((s) => !STATES.includes(s))];
  return html`<div class="box" data-testid="slot-states" data-total=${total}>
    <h3>${t("dash.slots")} <span class="muted">· ${t("dash.slotsTotal", { n: total })}</span></h3>
    <div class="stack">${known.filter((s) => counts[s]).map((s) => html`<span class="st-${s}" style=${`flex:${counts[s]}`} title=${`${s}: ${counts[s]}`}></span>`)}</div>
    <ul class="legend">${known.map((s) => html`<li class=${counts[s] ? "" : "zero"} data-state=${s} data-count=${counts[s] || 0}>
      <span class="dot st-${s}"></span><span class="name">${s}</span><b>${counts[s] || 0}</b></li>`)}</ul>
  </div>`;
}

function Operators({ operators }) {
  const ops = operators || {};
  const total = OPERATOR_STATUSES.reduce((a, s) => a + (ops[s] || 0), 0);
  return html`<div class="box" data-testid="operators" data-total=${total}>
    <h3>${t("dash.operators")} <span class="muted">· ${t("dash.slotsTotal", { n: total })}</span></h3>
    <div class="stack">${OPERATOR_STATUSES.filter((s) => ops[s]).map((s) => html`<span class="op-${s}" style=${`flex:${ops[s]}`}></span>`)}</div>
    <ul class="legend">${OPERATOR_STATUSES.map((s) => html`<li class=${ops[s] ? "" : "zero"} data-status=${s} data-count=${ops[s] || 0}>
      <span class="dot op-${s}"></span><span class="name">${t(`dash.op.${s}`)}</span><b>${ops[s] || 0}</b></li>`)}</ul>
  </div>`;
}

export default function Dashboard() {
  useStore((s) => s.lang);
  const [period, setPeriod] = useState("today");
  const { data, error, reads, at } = useFigures(period);
  const hours = data && Array.isArray(data.calls_per_hour) ? data.calls_per_hour : [];
  return html`<section class="page dashboard" data-testid="dashboard" data-reads=${reads} data-period=${data ? period : ""}>
    <div class="toolbar">
      <span class="seg" role="group" aria-label=${t("dash.period")} data-testid="dash-period">
        ${PERIODS.map((p) => html`<button type="button" class="btn small ${p === period ? "on" : ""}" data-period=${p} onClick=${() => setPeriod(p)}>${t(`dash.${p}`)}</button>`)}
      </span>
      <span class="spacer"></span>
      ${at ? html`<span class="muted" data-testid="dash-updated">${t("dash.updated", { time: new Date(at).toLocaleTimeString(getLang() === "ru" ? "ru-RU" : "en-GB") })}</span>` : null}
    </div>
    <${ErrorNote} error=${error} />
    ${!data && !error ? html`<div class="loading">${t("loading")}</div>` : null}
    ${data ? html`<${Cards} calls=${data.calls} />` : null}
    <div class="dash-grid">
      <div class="dash-main">
        ${data ? html`<${PerHour} hours=${hours} period=${period} />` : null}
        <${Alerts} />
      </div>
      <div class="dash-side">
        <${SlotStates} />
        ${data ? html`<${Operators} operators=${data.operators} />` : null}
      </div>
    </div>
  </section>`;
}
