// The Dashboard's alert list: the stored alerts (`GET /api/alerts`, read once on open) merged with the live
// `system.alert`s this browser received (live.js `alerts`), by id, newest first; an acknowledge button for who may
// (`vssd.system.alerts.update`) calls `POST /api/alerts/{id}/ack`; `system.alert.acknowledged` (anyone's) marks a
// row acknowledged without a re-read.
import { html, useEffect, useMemo, useState } from "../../vendor/preact-htm.mjs";
import { api, ApiError, can } from "../api.js";
import { extend, fmtDateTime, t } from "../i18n.js";
import { alerts as liveAlerts, on } from "../live.js";
import { useStore } from "../store.js";
import { Button } from "../ui.js";

extend({
  ru: {
    "alerts.title": "Оповещения", "alerts.open": "открытых: {n}", "alerts.none": "Оповещений нет",
    "alerts.ack": "Подтвердить", "alerts.acked": "Подтверждено", "alerts.by": "{who}, {time}",
    "alerts.level.info": "инфо", "alerts.level.warning": "внимание", "alerts.level.critical": "критично",
    "alerts.onlyOpen": "Только открытые", "alerts.notStored": "Оповещение ещё не сохранено, повторите через секунду",
    "alerts.type.slot_fault": "Слот в FAULT", "alerts.slotFault": "слот #{slot} — {cause}", "alerts.type.loop_faulted": "Цикл остановлен", "alerts.type.dialer_stalled": "Автодозвон стоит",
  },
  en: {
    "alerts.title": "Alerts", "alerts.open": "{n} open", "alerts.none": "No alerts",
    "alerts.ack": "Acknowledge", "alerts.acked": "Acknowledged", "alerts.by": "{who}, {time}",
    "alerts.level.info": "info", "alerts.level.warning": "warning", "alerts.level.critical": "critical",
    "alerts.onlyOpen": "Open only", "alerts.notStored": "The alert is not stored yet, try again in a second",
    "alerts.type.slot_fault": "Slot in FAULT", "alerts.slotFault": "slot #{slot} — {cause}", "alerts.type.loop_faulted": "Loop stopped", "alerts.type.dialer_stalled": "Dialer stalled",
  },
});

const SHOWN = 30;
const ACK_TRIES = 4;  // a live alert may reach the browser a moment before the recorder has stored it

// One shape for a stored row and a live event: id, at (ms), level, type, message, acknowledged(_at/_by).
function normal(a) {
  const at = a.at ? Date.parse(a.at) : (a.timestamp ? a.timestamp * 1000 : a.received);
  return { id: a.id, at, level: a.level || a.severity || "info", type: a.type || a.source || "", message: a.message || "",
    details: a.details || {}, acknowledged: !!a.acknowledged, acknowledged_at: a.acknowledged_at || null, acknowledged_by: a.acknowledged_by || null };
}

// A slot's fault is told from its details (the slot and the cause), other alerts by the daemon's message.
function text(a) {
  return a.type === "slot_fault" && a.details.slot_id ? t("alerts.slotFault", { slot: a.details.slot_id, cause: a.details.cause || "FAULT" }) : a.message;
}

function typeName(type) { const key = `alerts.type.${type}`; const text = t(key); return text === key ? type : text; }

async function acknowledge(id) {
  for (let attempt = 1; ; attempt++) {
    try { return await api("POST", `/api/alerts/${encodeURIComponent(id)}/ack`, {}); }
    catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      if (attempt >= ACK_TRIES) throw new Error(t("alerts.notStored"));
      await new Promise((resume) => setTimeout(resume, 300 * attempt));
    }
  }
}

function AlertRow({ a, onAck }) {
  return html`<li class="alert ${a.acknowledged ? "acked" : ""}" data-testid="alert" data-id=${a.id} data-type=${a.type}
      data-acknowledged=${a.acknowledged ? "true" : "false"}>
    <span class="badge lvl-${a.level}">${t(`alerts.level.${a.level}`)}</span>
    <span class="alert-time">${fmtDateTime(a.at / 1000)}</span>
    <span class="alert-text"><b>${typeName(a.type)}</b> ${text(a)}</span>
    <span class="alert-state">${a.acknowledged
      ? html`<span class="ok" title=${t("alerts.acked")}>✓ ${t("alerts.by", { who: a.acknowledged_by || "—", time: fmtDateTime(a.acknowledged_at) })}</span>`
      : can("vssd.system.alerts.update") ? html`<${Button} kind="small" testid="alert-ack" action=${() => onAck(a.id)}>${t("alerts.ack")}</${Button}>` : null}</span>
  </li>`;
}

export function Alerts() {
  const version = useStore((s) => s.alertsVersion);
  const [stored, setStored] = useState({ rows: [], error: null });
  const [acks, setAcks] = useState({});
  const [onlyOpen, setOnlyOpen] = useState(false);
  useEffect(() => {
    if (!can("vssd.system.alerts.read")) return;
    api("GET", "/api/alerts", null, { limit: SHOWN }).then((rows) => setStored({ rows: rows || [], error: null }))
      .catch((error) => setStored({ rows: [], error }));
  }, []);
  useEffect(() => on("system.alert.acknowledged", (e) => setAcks((m) => ({ ...m, [e.id]: e }))), []);
  const rows = useMemo(() => {
    const byId = new Map();
    for (const a of [...liveAlerts, ...stored.rows]) if (a.id && !byId.has(a.id)) byId.set(a.id, normal(a));
    for (const a of stored.rows) if (a.acknowledged) byId.set(a.id, normal(a));
    for (const [id, ack] of Object.entries(acks)) {
      if (byId.has(id)) byId.set(id, { ...byId.get(id), acknowledged: true, acknowledged_at: ack.acknowledged_at, acknowledged_by: ack.acknowledged_by });
    }
    return [...byId.values()].sort((x, y) => y.at - x.at).slice(0, SHOWN);
  }, [version, stored, acks]);
  const open = rows.filter((a) => !a.acknowledged).length;
  const onAck = async (id) => { const view = await acknowledge(id); setAcks((m) => ({ ...m, [id]: view })); };
  const shown = onlyOpen ? rows.filter((a) => !a.acknowledged) : rows;
  return html`<div class="box alerts" data-testid="alerts">
    <h3>${t("alerts.title")} <span class="muted">· ${t("alerts.open", { n: open })}</span>
      <label class="inline"><input type="checkbox" checked=${onlyOpen} onChange=${(e) => setOnlyOpen(e.target.checked)} /> ${t("alerts.onlyOpen")}</label></h3>
    ${stored.error && stored.error.status !== 403 ? html`<div class="note error">${stored.error.message}</div>` : null}
    ${shown.length ? html`<ul class="alert-list">${shown.map((a) => html`<${AlertRow} key=${a.id} a=${a} onAck=${onAck} />`)}</ul>`
      : html`<div class="note">${t("alerts.none")}</div>`}
  </div>`;
}
