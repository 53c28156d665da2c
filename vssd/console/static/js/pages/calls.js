// Calls (`/calls`): two tabs. **Live** — the calls in progress and just ended, newest first, from the socket's
// `call.update` (live.js `calls`) over one read of GET /api/calls/active per (re)connection; durations tick on one
// 1 s display clock. **History** (`?tab=history&…filters`) — GET /api/calls with the API's filters, paged (see
// calls_history.js). A row opens the call (`?call=<id>`): its CDR and notes (calls_detail.js).
// An operator's socket carries every call.update, so for an operator a call it has not seen through REST is shown
// only once GET /api/calls/{id} lets it (one read per call id, its verdict kept).
import { html, useEffect, useMemo, useRef, useState } from "../../vendor/preact-htm.mjs";
import { api, session } from "../api.js";
import { fmtTime, t } from "../i18n.js";
import { calls } from "../live.js";
import { navigate } from "../router.js";
import { useStore } from "../store.js";
import { ErrorNote, Table } from "../ui.js";
import { CallState, dur, open, operatorOf, Outcome, ownOnly, span, useOperatorNames, word } from "./calls_common.js";
import { History } from "./calls_history.js";
import { CallDetail } from "./calls_detail.js";

const RECENT_ENDED_S = 300;  // ended calls stay on the live tab this long
const MAX_ENDED = 60;

function useNow() {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => { const id = setInterval(() => setNow(Date.now() / 1000), 1000); return () => clearInterval(id); }, []);
  return Math.floor(now);
}

// The REST side of the live tab: the active calls (read per connection) and, for an operator, per-call verdicts.
function useLiveBase(connected, version) {
  const [base, setBase] = useState({ seed: new Map(), stale: new Map(), error: null });
  const verdicts = useRef(new Map());  // call id → true (may see) | false | "asking"
  const [, bump] = useState(0);
  useEffect(() => {
    if (!connected) return;
    api("GET", "/api/calls/active", null, { limit: 500 }).then((rows) => {
      const seed = new Map((rows || []).map((c) => [String(c.call_id ?? c.id), c]));
      seed.forEach((_, id) => verdicts.current.set(id, true));
      // Live entries still in progress that REST no longer lists ended while the socket was away.
      const stale = new Map([...calls].filter(([id, v]) => !v.ended_at && !seed.has(id)));
      setBase({ seed, stale, error: null });
    }).catch((error) => setBase((b) => ({ ...b, error })));
  }, [connected]);
  useEffect(() => {
    if (!ownOnly(session())) return;
    for (const id of calls.keys()) {
      if (verdicts.current.has(id)) continue;
      verdicts.current.set(id, "asking");
      api("GET", `/api/calls/${encodeURIComponent(id)}`)
        .then(() => verdicts.current.set(id, true), () => verdicts.current.set(id, false))
        .finally(() => bump((n) => n + 1));
    }
  }, [version]);
  return { ...base, verdicts: verdicts.current };
}

function useLiveRows(now) {
  const version = useStore((s) => s.callsVersion);
  const connected = useStore((s) => s.connected);
  const { seed, stale, verdicts, error } = useLiveBase(connected, version);
  const own = ownOnly(session());
  const rows = useMemo(() => {
    const merged = new Map(seed);
    for (const [id, view] of calls) {
      if (stale.get(id) === view) continue;
      if (own && verdicts.get(id) !== true) continue;
      merged.set(id, { ...(seed.get(id) || {}), ...view });
    }
    return [...merged.values()].sort((a, b) => String(b.started_at || "").localeCompare(String(a.started_at || "")));
  }, [version, seed, stale, verdicts.size, now - (now % 10)]);
  const live = rows.filter((c) => !c.ended_at);
  const ended = rows.filter((c) => c.ended_at && span(c.ended_at, null, now) <= RECENT_ENDED_S).slice(0, MAX_ENDED);
  return { live, ended, error };
}

function Live() {
  const now = useNow();
  const names = useOperatorNames();
  const { live, ended, error } = useLiveRows(now);
  const talking = live.filter((c) => c.answered_at).length;
  const rows = [...live, ...ended].sort((a, b) => String(b.started_at || "").localeCompare(String(a.started_at || "")));
  const columns = [
    { label: t("calls.col.started"), render: (c) => html`<span data-call=${c.call_id ?? c.id}>${fmtTime(c.started_at)}</span>` },
    { label: t("calls.col.state"), render: (c) => html`<${CallState} call=${c} />` },
    { label: t("calls.col.direction"), render: (c) => word("dir", c.direction) },
    { label: t("calls.col.number"), render: (c) => html`<span class="mono">${c.phone_number || c.number || "—"}</span>` },
    { label: t("calls.col.slot"), render: (c) => (c.slot_id ?? c.slot) ? `#${c.slot_id ?? c.slot}` : "—" },
    { label: t("calls.col.operator"), render: (c) => operatorOf(c, names) },
    { label: t("calls.col.duration"), render: (c) => html`<span class="mono" data-testid="call-duration">${dur(span(c.started_at, c.ended_at, now))}</span>` },
    { label: t("calls.col.talk"), render: (c) => html`<span class="mono">${c.answered_at ? dur(span(c.answered_at, c.ended_at, now)) : "—"}</span>` },
    { label: t("calls.col.outcome"), render: (c) => html`<${Outcome} call=${c} />` },
  ];
  return html`<div data-testid="calls-live">
    <div class="toolbar">
      <span class="muted">${t("calls.liveNote")}</span>
      <span class="count" data-testid="calls-live-count">${t("calls.inProgress")}: <b>${talking}</b> · ${t("calls.dialing")}: <b>${live.length - talking}</b> · ${t("calls.ended")}: <b>${ended.length}</b></span>
    </div>
    <${ErrorNote} error=${error} />
    <${Table} testid="calls-live-table" columns=${columns} rows=${rows} rowKey=${(c) => c.call_id ?? c.id}
      onRow=${(c) => open(c.call_id ?? c.id)} empty=${t("calls.liveEmpty")} />
  </div>`;
}

function close() {
  const q = new URLSearchParams(location.search);
  q.delete("call");
  navigate(q.toString() ? `/calls?${q}` : "/calls");
}

function tab(name) {
  const q = new URLSearchParams(location.search);
  q.delete("call");
  if (name === "history") q.set("tab", "history"); else { for (const k of [...q.keys()]) q.delete(k); }
  navigate(q.toString() ? `/calls?${q}` : "/calls");
}

export default function Calls() {
  useStore((s) => s.lang);
  const q = new URLSearchParams(useStore((s) => s.search) || "");
  const which = q.get("tab") === "history" ? "history" : "live";
  const selected = q.get("call");
  return html`<section class="page calls">
    <div class="tabs" role="tablist">
      ${["live", "history"].map((name) => html`<button role="tab" class="tab ${which === name ? "on" : ""}" aria-selected=${which === name}
        data-testid=${`calls-tab-${name}`} onClick=${() => tab(name)}>${t(`calls.${name}`)}</button>`)}
    </div>
    ${which === "live" ? html`<${Live} />` : html`<${History} query=${q} />`}
    ${selected ? html`<${CallDetail} key=${selected} id=${selected} onClose=${close} />` : null}
  </section>`;
}
