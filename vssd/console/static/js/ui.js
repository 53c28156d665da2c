// Shared pieces of the pages: html (htm bound to Preact), a field with the API's error next to it, a paged
// table, a button that shows it is busy, a modal, a plot (uPlot), a state badge.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.mjs";
import { t } from "./i18n.js";
import { toast } from "./store.js";

export { html };

// The SPEC's FSM states (SlotState) and their colours (also in app.css as .st-<STATE>).
export const STATES = ["IDLE", "ASSIGNED", "REGISTERING", "READY", "CALLING", "ACTIVE_CALL", "POSTCALL", "FAULT"];

export function StateBadge({ state }) {
  return html`<span class="badge st-${state}">${state}</span>`;
}

export function Field({ label, name, error, children, hint }) {
  return html`<label class="field ${error ? "has-error" : ""}" data-field=${name}>
    <span class="field-label">${label}</span>
    ${children}
    ${hint && !error ? html`<span class="field-hint">${hint}</span>` : null}
    ${error ? html`<span class="field-error" role="alert">${error}</span>` : null}
  </label>`;
}

// Runs `action` (async); shows the error's message as a toast unless `onError` takes it.
export function Button({ action, children, kind = "", disabled, title, onError, testid }) {
  const [busy, setBusy] = useState(false);
  const click = async (e) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    try { await action(); } catch (err) { onError ? onError(err) : toast(err.message || String(err), "error"); } finally { setBusy(false); }
  };
  return html`<button class="btn ${kind}" disabled=${disabled || busy} onClick=${click} title=${title} data-testid=${testid}>${children}</button>`;
}

export function Modal({ title, onClose, children, wide }) {
  useEffect(() => {
    const esc = (e) => { if (e.key === "Escape") onClose(); };
    window.addEventListener("keydown", esc);
    return () => window.removeEventListener("keydown", esc);
  }, [onClose]);
  return html`<div class="modal-back" onClick=${(e) => { if (e.target === e.currentTarget) onClose(); }}>
    <div class="modal ${wide ? "wide" : ""}" role="dialog" aria-label=${title}>
      <header><h2>${title}</h2><button class="icon" onClick=${onClose} aria-label=${t("close")}>×</button></header>
      <div class="modal-body">${children}</div>
    </div>
  </div>`;
}

export function Pager({ offset, limit, total, onPage }) {
  if (total === undefined || total === null) return null;
  const last = Math.min(offset + limit, total);
  return html`<div class="pager">
    <button class="btn small" disabled=${offset === 0} onClick=${() => onPage(Math.max(0, offset - limit))}>‹</button>
    <span>${total ? `${offset + 1}–${last}` : "0"} ${t("of")} ${total}</span>
    <button class="btn small" disabled=${last >= total} onClick=${() => onPage(offset + limit)}>›</button>
  </div>`;
}

// columns: [{key, label, render?(row)}]
export function Table({ columns, rows, onRow, empty, rowKey = (r) => r.id, testid }) {
  return html`<table class="grid-table" data-testid=${testid}>
    <thead><tr>${columns.map((c) => html`<th>${c.label}</th>`)}</tr></thead>
    <tbody>
      ${rows.length === 0 ? html`<tr><td class="empty" colspan=${columns.length}>${empty || t("nothing")}</td></tr>` : null}
      ${rows.map((r) => html`<tr key=${rowKey(r)} class=${onRow ? "clickable" : ""} onClick=${onRow ? () => onRow(r) : null}>
        ${columns.map((c) => html`<td>${c.render ? c.render(r) : r[c.key] ?? "—"}</td>`)}
      </tr>`)}
    </tbody>
  </table>`;
}

// A uPlot chart. `data` is uPlot's columnar data ([xs, ys1, ys2…]); `series` its series options after the x one
// (`x`: the x series' options, e.g. its legend label).
export function Plot({ data, series, height = 220, testid, scales, axes, x = {} }) {
  const box = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    let alive = true;
    import("../vendor/uPlot.esm.js").then(({ default: uPlot }) => {
      if (!alive || !box.current) return;
      const width = box.current.clientWidth || 600;
      chart.current = new uPlot({ width, height, series: [x, ...series], scales, axes }, data, box.current);
    });
    const resize = () => { if (chart.current && box.current) chart.current.setSize({ width: box.current.clientWidth, height }); };
    window.addEventListener("resize", resize);
    return () => { alive = false; window.removeEventListener("resize", resize); if (chart.current) chart.current.destroy(); chart.current = null; };
  }, [series.length]);
  useEffect(() => { if (chart.current) chart.current.setData(data); }, [data]);
  return html`<div class="plot" ref=${box} data-testid=${testid}></div>`;
}

// A list read from the API with limit/offset and filters; `reload()` re-reads.
export function usePaged(load, deps, limit = 50) {
  const [offset, setOffset] = useState(0);
  const [state, setState] = useState({ rows: [], total: 0, loading: true, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => { setOffset(0); }, deps);
  useEffect(() => {
    let alive = true;
    setState((s) => ({ ...s, loading: true }));
    load({ limit, offset }).then((rows) => {
      if (alive) setState({ rows: Array.isArray(rows) ? rows : [], total: rows && rows.total !== undefined ? rows.total : (rows || []).length, loading: false, error: null });
    }).catch((error) => { if (alive) setState({ rows: [], total: 0, loading: false, error }); });
    return () => { alive = false; };
  }, [...deps, offset, tick]);
  return { ...state, offset, limit, setOffset, reload: () => setTick((n) => n + 1) };
}

export function ErrorNote({ error }) {
  if (!error) return null;
  return html`<div class="note error" role="alert">${error.status === 403 ? t("forbidden") : error.message}</div>`;
}
