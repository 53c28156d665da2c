// Farm (`/`): every slot as a tile — id, number, type, FSM state as text and colour, time in state, the current
// call's number, battery/signal/temperature where known — with filters by type, state and hub, counters per state,
// and a panel per slot (`/?slot=<id>`): details, transition history, current call, restart / reboot.
// Tiles are components that re-render only when their slot's view (or the second shown) changes.
import { Component, html, useEffect, useMemo, useState } from "../../vendor/preact-htm.mjs";
import { api, can } from "../api.js";
import { fmtDateTime, fmtDur, fmtNum, t } from "../i18n.js";
import { slots } from "../live.js";
import { toast, useStore } from "../store.js";
import { Button, Modal, StateBadge, STATES, Table } from "../ui.js";
import { navigate } from "../router.js";

const TYPES = ["AUTO", "MF", "LS"];

function ageClass(seconds, state) {
  if (state === "READY" || state === "IDLE" || seconds === null) return "";
  return seconds >= 300 ? "age-300" : seconds >= 60 ? "age-60" : seconds >= 30 ? "age-30" : "";
}

class Tile extends Component {
  shouldComponentUpdate(next) {
    return next.slot !== this.props.slot || (next.slot.state_since && next.now !== this.props.now);
  }
  render({ slot, now, open }) {
    const state = slot.fsm_state || "IDLE";
    const since = slot.state_since ? Math.max(0, now - slot.state_since) : null;
    const facts = [];
    if (slot.battery !== null && slot.battery !== undefined) facts.push(html`<span title=${t("slot.battery")}>${t("slot.bat_short")} ${slot.battery}%</span>`);
    if (slot.signal !== null && slot.signal !== undefined) facts.push(html`<span title=${t("slot.signal")}>${t("slot.sig_short")} ${slot.signal}</span>`);
    if (slot.temperature !== null && slot.temperature !== undefined) facts.push(html`<span title=${t("slot.temperature")}>${fmtNum(slot.temperature, 0)}°C</span>`);
    return html`<button class="tile st-${state}" data-slot=${slot.id} data-state=${state} onClick=${() => open(slot.id)}>
      <span class="tile-head"><b>#${slot.id}</b><span class="type">${slot.type}</span></span>
      <span class="tile-state">${state}</span>
      <span class="tile-line"><span class="num">${slot.internal_sip_number || ""}</span><span class="since ${ageClass(since, state)}">${since === null ? "" : fmtDur(since)}</span></span>
      <span class="tile-call">${slot.phone_number ? `☎ ${slot.phone_number}` : slot.online === false ? t("slot.offline") : " "}</span>
      <span class="tile-facts">${facts}</span>
    </button>`;
  }
}

function useNow() {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => { const id = setInterval(() => setNow(Date.now() / 1000), 1000); return () => clearInterval(id); }, []);
  return Math.floor(now);
}

function Filters({ filter, setFilter, hubs, counts, total, shown }) {
  const set = (k) => (e) => setFilter({ ...filter, [k]: e.target.value });
  return html`<div class="toolbar">
    <input type="search" placeholder=${t("farm.search")} value=${filter.q} onInput=${set("q")} data-testid="farm-search" />
    <select value=${filter.type} onChange=${set("type")} data-testid="farm-type"><option value="">${t("farm.allTypes")}</option>${TYPES.map((x) => html`<option value=${x}>${x}</option>`)}</select>
    <select value=${filter.state} onChange=${set("state")} data-testid="farm-state"><option value="">${t("farm.allStates")}</option>${STATES.map((x) => html`<option value=${x}>${x}</option>`)}</select>
    ${hubs.length > 1 ? html`<select value=${filter.hub} onChange=${set("hub")} data-testid="farm-hub"><option value="">${t("farm.allHubs")}</option>${hubs.map((x) => html`<option value=${x}>${x}</option>`)}</select>` : null}
    <span class="chips">${STATES.filter((s) => counts[s]).map((s) => html`<button class="chip st-${s} ${filter.state === s ? "on" : ""}" onClick=${() => setFilter({ ...filter, state: filter.state === s ? "" : s })}>${s} <b>${counts[s]}</b></button>`)}</span>
    <span class="count" data-testid="farm-count">${t("farm.shown", { shown, total })}</span>
  </div>`;
}

export default function Farm() {
  const version = useStore((s) => s.slotsVersion);
  const loaded = useStore((s) => s.slotsLoaded);
  const search = useStore((s) => s.search);
  const now = useNow();
  const [filter, setFilter] = useState({ q: "", type: "", state: "", hub: "" });
  const all = useMemo(() => [...slots.values()].sort((a, b) => (Number(a.id) - Number(b.id)) || String(a.id).localeCompare(String(b.id))), [version]);
  const counts = useMemo(() => { const c = {}; for (const s of all) c[s.fsm_state] = (c[s.fsm_state] || 0) + 1; return c; }, [all]);
  const hubs = useMemo(() => [...new Set(all.map((s) => s.hub_id).filter(Boolean))].sort(), [all]);
  const q = filter.q.trim().toLowerCase();
  const shown = all.filter((s) => (!filter.type || s.type === filter.type) && (!filter.state || s.fsm_state === filter.state)
    && (!filter.hub || s.hub_id === filter.hub)
    && (!q || String(s.id) === q || String(s.internal_sip_number || "").includes(q) || String(s.phone_number || "").includes(q) || String(s.device || "").toLowerCase().includes(q)));
  const open = (id) => navigate(`/?slot=${encodeURIComponent(id)}`);
  const selected = new URLSearchParams(search || "").get("slot");
  return html`<section class="page farm">
    <${Filters} filter=${filter} setFilter=${setFilter} hubs=${hubs} counts=${counts} total=${all.length} shown=${shown.length} />
    ${!loaded ? html`<div class="loading">${t("loading")}</div>` : null}
    <div class="tiles" data-testid="tiles">${shown.map((s) => html`<${Tile} key=${s.id} slot=${s} now=${now} open=${open} />`)}</div>
    ${selected ? html`<${SlotPanel} id=${selected} onClose=${() => navigate("/")} />` : null}
  </section>`;
}

function SlotPanel({ id, onClose }) {
  const version = useStore((s) => s.slotsVersion);
  const slot = slots.get(String(id));
  const [history, setHistory] = useState({ rows: [], error: null });
  const [call, setCall] = useState(null);
  useEffect(() => {
    api("GET", `/api/slots/${encodeURIComponent(id)}/history`, null, { limit: 50 })
      .then((rows) => setHistory({ rows: rows || [], error: null })).catch((error) => setHistory({ rows: [], error }));
  }, [id, slot && slot.fsm_state]);
  const callId = slot && slot.current_call_id;
  useEffect(() => { setCall(null); if (callId) api("GET", `/api/calls/${encodeURIComponent(callId)}`).then(setCall).catch(() => setCall(null)); }, [callId, slot && slot.fsm_state]);
  if (!slot) return html`<${Modal} title=${t("slot.title", { id })} onClose=${onClose}><div class="note">${t("slot.unknown")}</div></${Modal}>`;
  const act = (path, done) => async () => { await api("POST", `/api/slots/${encodeURIComponent(id)}/${path}`, {}); toast(done); };
  const rows = [["slot.state", html`<${StateBadge} state=${slot.fsm_state} />`], ["slot.type", slot.type], ["slot.number", slot.internal_sip_number],
    ["slot.device", slot.device], ["slot.trunk", slot.trunk_name || slot.trunk_id], ["slot.hub", slot.hub_id], ["slot.operator", slot.user],
    ["slot.since", fmtDateTime(slot.state_since)], ["slot.battery", slot.battery ?? "—"], ["slot.temperature", slot.temperature ?? "—"], ["slot.signal", slot.signal ?? "—"]];
  return html`<${Modal} title=${t("slot.title", { id })} onClose=${onClose} wide>
    <div class="panel-grid" data-testid="slot-panel">
      <dl class="facts">${rows.map(([k, v]) => html`<dt>${t(k)}</dt><dd>${v ?? "—"}</dd>`)}</dl>
      <div>
        <h3>${t("slot.call")}</h3>
        ${callId ? html`<dl class="facts"><dt>ID</dt><dd>${callId}</dd><dt>${t("call.number")}</dt><dd>${slot.phone_number || (call && call.phone_number) || "—"}</dd>
          <dt>${t("call.status")}</dt><dd>${call ? call.status : "…"}</dd><dt>${t("call.started")}</dt><dd>${call ? fmtDateTime(call.started_at) : "—"}</dd></dl>` : html`<div class="note">${t("slot.noCall")}</div>`}
        <div class="actions">
          ${can(`vssd.slots.${id}.update`) ? html`<${Button} action=${act("restart", t("slot.restarted"))} testid="slot-restart">${t("slot.restart")}</${Button}>` : null}
          ${can(`vssd.slots.${id}.reboot`) && slot.device_serial ? html`<${Button} kind="danger" action=${act("reboot-device", t("slot.rebooted"))} testid="slot-reboot">${t("slot.reboot")}</${Button}>` : null}
        </div>
      </div>
    </div>
    <h3>${t("slot.history")}</h3>
    ${history.error ? html`<div class="note error">${history.error.message}</div>` : html`<${Table} testid="slot-history" rowKey=${(r) => `${r.at}-${r.to_state}`}
      columns=${[{ label: t("time"), render: (r) => fmtDateTime(r.at) }, { label: t("slot.from"), render: (r) => html`<${StateBadge} state=${r.from_state} />` },
        { label: t("slot.to"), render: (r) => html`<${StateBadge} state=${r.to_state} />` }, { label: t("slot.event"), key: "event" }, { label: t("slot.cause"), render: (r) => r.cause || r.reason || "—" }]}
      rows=${history.rows} />`}
  </${Modal}>`;
}
