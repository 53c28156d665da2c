// Campaigns (`/campaigns`): the list (a seller sees only their own: the API scopes it), a new campaign with its
// CSV of leads (campaign_create.js), and one campaign (`/campaigns?id=<id>`): status, progress, run / pause /
// resume / stop as the user's permissions allow, unknown and dead-lettered counts, its leads, and a live plot of
// the dial level and the abandon rate against the cap. Live figures come from `campaign.call_ended` (which carries
// the pacing after each settled attempt); the counts are re-read when one of the campaign's events arrives.
import { html, useEffect, useRef, useState } from "../../vendor/preact-htm.mjs";
import { api, can } from "../api.js";
import { extend, fmtDateTime, fmtNum, fmtPct, fmtTime, t } from "../i18n.js";
import { on } from "../live.js";
import { navigate } from "../router.js";
import { toast, useStore } from "../store.js";
import { Button, ErrorNote, Pager, Plot, Table, usePaged } from "../ui.js";
import { CreateCampaign } from "./campaign_create.js";

extend({
  ru: {
    "cmp.title": "Кампании", "cmp.new": "Новая кампания", "cmp.allStatuses": "Все статусы", "cmp.name": "Название",
    "cmp.status": "Статус", "cmp.mode": "Режим", "cmp.slotType": "Слоты", "cmp.created": "Создана", "cmp.started": "Запущена",
    "cmp.none": "Кампаний пока нет", "cmp.back": "← Все кампании", "cmp.missing": "Кампания не найдена",
    "cmp.run": "Запустить", "cmp.pause": "Пауза", "cmp.resume": "Продолжить", "cmp.stop": "Остановить",
    "cmp.leads": "Лидов", "cmp.processed": "Обработано", "cmp.attempts": "Попыток", "cmp.answered": "Отвечено",
    "cmp.abandoned": "Брошено", "cmp.unknown": "Исход неизвестен", "cmp.dead": "В очереди ошибок", "cmp.live": "Звонков сейчас",
    "cmp.dialLevel": "Уровень набора", "cmp.abandonRate": "Доля брошенных", "cmp.cap": "Предел",
    "cmp.plot": "Уровень набора и брошенные звонки", "cmp.plotEmpty": "График появится с первыми завершёнными звонками",
    "cmp.leadsTable": "Лиды", "cmp.phone": "Номер", "cmp.leadName": "Имя", "cmp.tries": "Попыток", "cmp.settings": "Настройки",
    "cmp.fallback": "Предел достигнут: набор прогрессивный", "cmp.did.run": "Кампания запущена",
    "cmp.did.pause": "Кампания на паузе", "cmp.did.resume": "Кампания продолжена", "cmp.did.stop": "Кампания остановлена",
    "cs.draft": "черновик", "cs.running": "идёт", "cs.paused": "пауза", "cs.stopped": "остановлена", "cs.completed": "завершена",
    "ls.pending": "ожидает", "ls.queued": "в очереди", "ls.dialing": "набор", "ls.retry": "повтор", "ls.done": "готово",
    "ls.failed": "неудача", "ls.dnc": "не звонить", "ls.expired": "просрочен", "ls.unknown": "неизвестно", "ls.cancelled": "отменён",
  },
  en: {
    "cmp.title": "Campaigns", "cmp.new": "New campaign", "cmp.allStatuses": "All statuses", "cmp.name": "Name",
    "cmp.status": "Status", "cmp.mode": "Mode", "cmp.slotType": "Slots", "cmp.created": "Created", "cmp.started": "Started",
    "cmp.none": "No campaigns yet", "cmp.back": "← All campaigns", "cmp.missing": "Campaign not found",
    "cmp.run": "Run", "cmp.pause": "Pause", "cmp.resume": "Resume", "cmp.stop": "Stop",
    "cmp.leads": "Leads", "cmp.processed": "Processed", "cmp.attempts": "Attempts", "cmp.answered": "Answered",
    "cmp.abandoned": "Abandoned", "cmp.unknown": "Unknown outcome", "cmp.dead": "Dead-lettered", "cmp.live": "Calls now",
    "cmp.dialLevel": "Dial level", "cmp.abandonRate": "Abandon rate", "cmp.cap": "Cap",
    "cmp.plot": "Dial level and abandoned calls", "cmp.plotEmpty": "The plot starts with the first settled calls",
    "cmp.leadsTable": "Leads", "cmp.phone": "Number", "cmp.leadName": "Name", "cmp.tries": "Attempts", "cmp.settings": "Settings",
    "cmp.fallback": "Cap reached: dialling progressively", "cmp.did.run": "Campaign running",
    "cmp.did.pause": "Campaign paused", "cmp.did.resume": "Campaign resumed", "cmp.did.stop": "Campaign stopped",
    "cs.draft": "draft", "cs.running": "running", "cs.paused": "paused", "cs.stopped": "stopped", "cs.completed": "completed",
    "ls.pending": "pending", "ls.queued": "queued", "ls.dialing": "dialling", "ls.retry": "retry", "ls.done": "done",
    "ls.failed": "failed", "ls.dnc": "do not call", "ls.expired": "expired", "ls.unknown": "unknown", "ls.cancelled": "cancelled",
  },
});

const STATUSES = ["draft", "running", "paused", "stopped", "completed"];
const MAX_POINTS = 600;
const enc = encodeURIComponent;

export function CampaignBadge({ status }) {
  return html`<span class="badge cs-${status}" data-testid="campaign-status" data-status=${status}>${t(`cs.${status}`)}</span>`;
}

export default function Campaigns() {
  useStore((s) => s.lang);
  const search = useStore((s) => s.search);
  const id = new URLSearchParams(search || "").get("id");
  return id ? html`<${Detail} key=${id} id=${id} />` : html`<${List} />`;
}

function List() {
  const [status, setStatus] = useState("");
  const [creating, setCreating] = useState(false);
  const list = usePaged(({ limit, offset }) => api("GET", "/api/autodialer/campaigns", null, { status, limit, offset }), [status], 50);
  useEffect(() => on("campaign.update", () => list.reload()), []);
  const open = (cid) => navigate(`/campaigns?id=${enc(cid)}`);
  return html`<section class="page campaigns">
    <div class="toolbar">
      <h1>${t("cmp.title")}</h1>
      <select value=${status} onChange=${(e) => setStatus(e.target.value)} data-testid="campaigns-status">
        <option value="">${t("cmp.allStatuses")}</option>${STATUSES.map((s) => html`<option value=${s}>${t(`cs.${s}`)}</option>`)}
      </select>
      <span class="spacer"></span>
      ${can("vssd.campaigns.create") ? html`<button class="btn primary" onClick=${() => setCreating(true)} data-testid="campaign-new">+ ${t("cmp.new")}</button>` : null}
    </div>
    <${ErrorNote} error=${list.error} />
    ${list.error ? null : html`<${Table} testid="campaigns" onRow=${(r) => open(r.id)} empty=${list.loading ? t("loading") : t("cmp.none")}
      columns=${[{ label: t("cmp.name"), render: (r) => html`<b data-campaign=${r.id}>${r.name}</b>` },
        { label: t("cmp.status"), render: (r) => html`<${CampaignBadge} status=${r.status} />` },
        { label: t("cmp.mode"), render: (r) => t(`mode.${(r.settings && r.settings.mode) || "progressive"}`) },
        { label: t("cmp.slotType"), render: (r) => r.slot_type || t("cmpNew.anySlot") },
        { label: t("cmp.created"), render: (r) => fmtDateTime(r.created_at) },
        { label: t("cmp.started"), render: (r) => fmtDateTime(r.started_at) }]}
      rows=${list.rows} />`}
    <${Pager} offset=${list.offset} limit=${list.limit} total=${list.total} onPage=${list.setOffset} />
    ${creating ? html`<${CreateCampaign} onClose=${() => setCreating(false)} onCreated=${() => list.reload()} onOpen=${open} />` : null}
  </section>`;
}

// The plot's columns: time, dial level, abandon rate (%), cap (%).
function addPoint(points, level, rate, cap) {
  if (level === null || level === undefined) return points;
  const now = Date.now() / 1000;
  const next = points.map((col) => col.slice(-MAX_POINTS + 1));
  next[0].push(now); next[1].push(level); next[2].push(rate === null || rate === undefined ? null : rate * 100);
  next[3].push(cap === null || cap === undefined ? null : cap * 100);
  return next;
}

// The campaign's status view, its abandon cap and the plot's points: the status is read on open and again after a
// burst of the campaign's events; each read and each `campaign.call_ended` adds a point.
function useCampaign(id) {
  const [state, setState] = useState({ view: null, error: null, cap: null });
  const [points, setPoints] = useState([[], [], [], []]);
  const cap = useRef(null);
  const setCap = (value) => { cap.current = value; setState((s) => ({ ...s, cap: value })); };
  const load = () => api("GET", `/api/autodialer/campaigns/${enc(id)}/status`)
    .then((view) => {
      setState((s) => ({ ...s, view, error: null }));
      setPoints((p) => addPoint(p, view.dial_level, view.pacing ? view.pacing.abandon_rate : view.abandon_rate, cap.current));
    })
    .catch((error) => setState((s) => ({ ...s, error })));
  useEffect(() => {
    api("GET", `/api/autodialer/campaigns/${enc(id)}/ledger`).then((l) => setCap(l.abandon_cap)).catch(() => {}).finally(load);
    let timer = 0;  // counts re-read once per burst of the campaign's events (not a polling loop)
    const soon = () => { if (!timer) timer = setTimeout(() => { timer = 0; load(); }, 400); };
    const mine = (fn) => (e) => { if (e && String(e.campaign_id) === String(id)) fn(e); };
    const offs = [
      on("campaign.call_ended", mine((e) => {
        if (e.abandon_cap !== undefined && e.abandon_cap !== null) setCap(e.abandon_cap);
        setPoints((p) => addPoint(p, e.dial_level, e.abandon_rate, e.abandon_cap));
        soon();
      })),
      on("campaign.call_started", mine(soon)), on("campaign.call_connected", mine(soon)), on("campaign.update", mine(soon)),
    ];
    return () => { offs.forEach((off) => off()); clearTimeout(timer); };
  }, [id]);
  return { ...state, points, setView: (view) => setState((s) => ({ ...s, view })), reload: load };
}

function Detail({ id }) {
  const { view, error, cap, points, setView } = useCampaign(id);
  if (error) {
    return html`<section class="page campaign">
      <a href="/campaigns" class="back" onClick=${(e) => { e.preventDefault(); navigate("/campaigns"); }}>${t("cmp.back")}</a>
      ${error.status === 404 ? html`<div class="note error" data-testid="campaign-missing">${t("cmp.missing")}</div>` : html`<${ErrorNote} error=${error} />`}
    </section>`;
  }
  if (!view) return html`<div class="loading">${t("loading")}</div>`;
  const pacing = view.pacing || {};
  const shownCap = cap ?? null;
  return html`<section class="page campaign" data-testid="campaign-detail" data-campaign=${id}>
    <a href="/campaigns" class="back" onClick=${(e) => { e.preventDefault(); navigate("/campaigns"); }}>${t("cmp.back")}</a>
    <div class="toolbar">
      <h1 data-testid="campaign-name">${view.name}</h1><${CampaignBadge} status=${view.status} />
      <span class="muted">${t(`mode.${(view.settings && view.settings.mode) || "progressive"}`)}${view.slot_type ? ` · ${view.slot_type}` : ""}</span>
      ${pacing.fallback ? html`<span class="badge warn">${t("cmp.fallback")}</span>` : null}
      <span class="spacer"></span>
      <${Actions} id=${id} status=${view.status} onDone=${setView} />
    </div>
    <${Progress} view=${view} cap=${shownCap} />
    <div class="box">
      <h3>${t("cmp.plot")}</h3>
      ${points[0].length ? null : html`<div class="note" data-testid="campaign-plot-empty">${t("cmp.plotEmpty")}</div>`}
      <${LivePlot} points=${points} />
    </div>
    <${Leads} id=${id} version=${`${view.status}/${view.leads_total - view.pending}/${view.attempts}`} />
  </section>`;
}

function LivePlot({ points }) {
  const lang = useStore((s) => s.lang);
  const series = [
    { label: t("cmp.dialLevel"), stroke: "#1f6feb", width: 2, points: { size: 5 }, scale: "lvl", value: (u, v) => (v === null ? "—" : fmtNum(v, 2)) },
    { label: `${t("cmp.abandonRate")}, %`, stroke: "#c62828", width: 2, points: { size: 5 }, scale: "pct", value: (u, v) => (v === null ? "—" : fmtNum(v, 2)) },
    { label: `${t("cmp.cap")}, %`, stroke: "#ed8a00", width: 1.5, dash: [6, 4], scale: "pct", value: (u, v) => (v === null ? "—" : fmtNum(v, 1)) },
  ];
  const axes = [{ values: (u, splits) => splits.map((v) => fmtTime(v)) }, { scale: "lvl", label: t("cmp.dialLevel") },
    { scale: "pct", side: 1, label: "%", grid: { show: false } }];
  const x = { label: t("time"), value: (u, v) => (v === null || v === undefined ? "—" : fmtTime(v)) };
  // From the first point, at least half a minute wide: the first points do not spread over milliseconds.
  const scales = { x: { time: true, range: (u, lo, hi) => [lo, Math.max(hi, lo + 30)] }, lvl: { range: (u, lo, hi) => [0, Math.max(2, Math.ceil(hi || 0))] }, pct: { range: (u, lo, hi) => [0, Math.max(5, Math.ceil((hi || 0) * 1.2))] } };
  return html`<div data-testid="campaign-plot-box" data-points=${points[0].length}><${Plot} key=${lang} testid="campaign-plot" data=${points} series=${series} x=${x} axes=${axes} scales=${scales} height=${240} /></div>`;
}

function Progress({ view, cap }) {
  const total = view.leads_total || 0;
  const processed = total - (view.pending || 0);
  const pct = total ? processed / total : 0;
  const rate = view.pacing && view.pacing.abandon_rate !== undefined ? view.pacing.abandon_rate : view.abandon_rate;
  const over = cap !== null && rate > cap;
  const card = (key, value, testid, cls = "") => html`<div class="card"><div class="label">${t(key)}</div><div class="value ${cls}" data-testid=${testid}>${value}</div></div>`;
  return html`<div class="campaign-figures">
    <div class="progress" data-testid="campaign-progress" title=${fmtPct(pct)}><span style=${`width:${(pct * 100).toFixed(1)}%`}></span>
      <b>${fmtNum(processed)} / ${fmtNum(total)} · ${fmtPct(pct)}</b></div>
    <div class="cards">
      ${card("cmp.leads", fmtNum(total), "campaign-total")}
      ${card("cmp.processed", fmtNum(processed), "campaign-processed")}
      ${card("cmp.attempts", fmtNum(view.attempts), "campaign-attempts")}
      ${card("cmp.answered", fmtNum(view.answered), "campaign-answered")}
      ${card("cmp.abandoned", html`${fmtNum(view.abandoned)} <small>${fmtPct(rate)}${cap !== null ? ` / ${fmtPct(cap)}` : ""}</small>`, "campaign-abandoned", over ? "bad" : "")}
      ${card("cmp.unknown", fmtNum(view.unknown), "campaign-unknown", view.unknown ? "warn" : "")}
      ${card("cmp.dead", fmtNum(view.dead_lettered), "campaign-dead", view.dead_lettered ? "warn" : "")}
      ${card("cmp.live", fmtNum(view.live_calls || 0), "campaign-live")}
      ${card("cmp.dialLevel", view.dial_level === null || view.dial_level === undefined ? "—" : fmtNum(view.dial_level, 2), "campaign-level")}
    </div>
  </div>`;
}

function Actions({ id, status, onDone }) {
  const byBody = (path) => () => api("POST", `/api/autodialer/${path}`, { campaign_id: id });
  const byPath = (path) => () => api("POST", `/api/autodialer/campaigns/${enc(id)}/${path}`, {});
  const all = can("vssd.campaigns.update"), own = can(`vssd.campaigns.${id}.update`);
  const items = [
    ["run", ["draft", "stopped", "completed"], all, byBody("run-campaign"), "primary"],
    ["resume", ["paused"], own, byPath("resume"), "primary"],
    ["pause", ["running"], own, byPath("pause"), ""],
    ["stop", ["running", "paused", "draft"], all, byBody("stop-campaign"), "danger"],
  ].filter(([, when, allowed]) => allowed && when.includes(status));
  return html`<div class="actions inline">${items.map(([key, , , call, kind]) => html`<${Button} kind=${kind} testid=${`campaign-${key}`}
    action=${async () => { onDone(await call()); toast(t(`cmp.did.${key}`)); }}>${t(`cmp.${key}`)}</${Button}>`)}</div>`;
}

// Re-read when `version` (the campaign's status and counts) changes: after the campaign's own events.
function Leads({ id, version }) {
  const leads = usePaged(({ limit, offset }) => api("GET", "/api/autodialer/leads", null, { campaign_id: id, limit, offset }), [id, version], 25);
  return html`<div class="box">
    <h3>${t("cmp.leadsTable")}</h3>
    <${ErrorNote} error=${leads.error} />
    <${Table} testid="campaign-leads" empty=${leads.loading ? t("loading") : t("nothing")}
      columns=${[{ label: t("cmp.phone"), key: "phone" }, { label: t("cmp.leadName"), render: (r) => r.name || "—" },
        { label: t("cmp.status"), render: (r) => html`<span class="lead ls-${r.status}">${t(`ls.${r.status}`)}</span>` },
        { label: t("cmp.tries"), render: (r) => fmtNum(r.attempts) }]}
      rows=${leads.rows} />
    <${Pager} offset=${leads.offset} limit=${leads.limit} total=${leads.total} onPage=${leads.setOffset} />
  </div>`;
}
