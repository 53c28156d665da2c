// DCI (`/dci`): the pipelines (status of each one's newest run, run with a form built from its params schema, stop),
// a run's log streaming live from `pipeline.update` events (the lines so far read once from the DCI log, merged by
// their number in the run), and the DCI log itself with module / severity filters. Lists are read once and again
// on a pipeline's final event.
import { html, useEffect, useRef, useState } from "../../vendor/preact-htm.mjs";
import { api, can, ApiError } from "../api.js";
import { extend, fmtDateTime, fmtNum, t } from "../i18n.js";
import { on } from "../live.js";
import { toast } from "../store.js";
import { Button, ErrorNote, Field, Modal, Pager, Table, usePaged } from "../ui.js";

extend({
  ru: {
    "dci.title": "Пайплайны", "dci.pipeline": "Пайплайн", "dci.description": "Назначение", "dci.status": "Статус",
    "dci.by": "Запустил", "dci.start": "Начало", "dci.end": "Конец", "dci.run": "Запустить", "dci.stop": "Остановить",
    "dci.log": "Журнал", "dci.runTitle": "Запуск: {name}", "dci.noParams": "Параметров нет.", "dci.started": "Пайплайн {name} запущен",
    "dci.stopped": "Пайплайн {name} остановлен", "dci.notRunning": "Пайплайн {name} не выполнялся", "dci.required": "Обязательное поле",
    "dci.badFormat": "Неверный формат", "dci.range": "От {min} до {max}", "dci.tooLong": "Не длиннее {n} символов",
    "dci.liveTitle": "Журнал запуска #{run} — {name}", "dci.liveEmpty": "Строк пока нет", "dci.exit": "Код выхода",
    "dci.error": "Ошибка", "dci.step": "Шаг", "dci.pick": "Выберите пайплайн, чтобы увидеть журнал его запуска",
    "dci.logs": "Журнал DCI", "dci.module": "Модуль", "dci.allModules": "Все модули", "dci.severity": "Уровень",
    "dci.allSeverities": "Все уровни", "dci.message": "Сообщение", "dci.context": "Контекст", "dci.refresh": "Обновить",
    "dci.running": "Выполняется", "dci.queue": "Очередь журнала", "dci.dropped": "Отброшено строк", "dci.written": "Записано строк",
    "dci.st.idle": "не запускался", "dci.st.queued": "в очереди", "dci.st.running": "выполняется", "dci.st.success": "успешно",
    "dci.st.failed": "ошибка", "dci.st.cancelled": "остановлен", "dci.st.interrupted": "прерван",
    "dci.sev.debug": "отладка", "dci.sev.info": "инфо", "dci.sev.warning": "предупреждение", "dci.sev.error": "ошибка", "dci.sev.critical": "критично",
    "dci.param.date_from": "С даты (UTC)", "dci.param.date_to": "По дату включительно (UTC)", "dci.param.format": "Формат",
    "dci.param.campaign_id": "Кампания", "dci.param.file": "Файл в каталоге импорта",
    "dci.desc.cdr-export": "Выгрузка CDR за период в CSV или Parquet", "dci.desc.lead-import": "Импорт лидов из CSV-файла в кампанию автодозвона",
    "dci.desc.db-backup": "Резервная копия базы данных (pg_dump)", "dci.desc.migrate": "Применить новые миграции базы данных",
  },
  en: {
    "dci.title": "Pipelines", "dci.pipeline": "Pipeline", "dci.description": "Purpose", "dci.status": "Status",
    "dci.by": "Triggered by", "dci.start": "Started", "dci.end": "Ended", "dci.run": "Run", "dci.stop": "Stop",
    "dci.log": "Log", "dci.runTitle": "Run: {name}", "dci.noParams": "No parameters.", "dci.started": "Pipeline {name} started",
    "dci.stopped": "Pipeline {name} stopped", "dci.notRunning": "Pipeline {name} was not running", "dci.required": "Required",
    "dci.badFormat": "Wrong format", "dci.range": "From {min} to {max}", "dci.tooLong": "At most {n} characters",
    "dci.liveTitle": "Run #{run} log — {name}", "dci.liveEmpty": "No lines yet", "dci.exit": "Exit code",
    "dci.error": "Error", "dci.step": "Step", "dci.pick": "Pick a pipeline to see its run's log",
    "dci.logs": "DCI log", "dci.module": "Module", "dci.allModules": "All modules", "dci.severity": "Severity",
    "dci.allSeverities": "All severities", "dci.message": "Message", "dci.context": "Context", "dci.refresh": "Refresh",
    "dci.running": "Running", "dci.queue": "Log queue", "dci.dropped": "Lines dropped", "dci.written": "Lines written",
    "dci.st.idle": "never run", "dci.st.queued": "queued", "dci.st.running": "running", "dci.st.success": "success",
    "dci.st.failed": "failed", "dci.st.cancelled": "stopped", "dci.st.interrupted": "interrupted",
    "dci.sev.debug": "debug", "dci.sev.info": "info", "dci.sev.warning": "warning", "dci.sev.error": "error", "dci.sev.critical": "critical",
    "dci.param.date_from": "From (UTC)", "dci.param.date_to": "To, inclusive (UTC)", "dci.param.format": "Format",
    "dci.param.campaign_id": "Campaign", "dci.param.file": "File in the import directory",
    "dci.desc.cdr-export": "Call records (CDR) of a period as CSV or Parquet", "dci.desc.lead-import": "Leads from a CSV file into an autodialer campaign",
    "dci.desc.db-backup": "A backup of the database (pg_dump)", "dci.desc.migrate": "Apply the database's new migrations",
  },
});

const MODULES = ["OTTB", "POINT", "DCI", "WORKSPACE"];
const SEVERITIES = ["debug", "info", "warning", "error", "critical"];
const FINAL = ["success", "failed", "cancelled", "interrupted"];
const STATUS_CLASS = { success: "st-READY", failed: "st-FAULT", interrupted: "st-FAULT", running: "st-CALLING", cancelled: "st-POSTCALL" };
const MAX_LINES = 2000;
const LOG_PAGE = 1000;  // the most lines GET /api/dci/logs answers at once

const word = (prefix, key, fallback) => { const w = t(`${prefix}.${key}`); return w === `${prefix}.${key}` ? (fallback ?? key) : w; };

function StatusBadge({ status }) {
  return html`<span class="badge ${STATUS_CLASS[status] || "st-IDLE"}" data-status=${status}>${word("dci.st", status)}</span>`;
}

// Client-side checks of one value against its JSON-schema property (what the form can know before sending).
function problem(value, prop, required) {
  if (value === "" || value === undefined) return required ? t("dci.required") : null;
  if (prop.type === "integer") {
    if (!/^-?\d+$/.test(value)) return t("dci.badFormat");
    const n = Number(value);
    if ((prop.minimum !== undefined && n < prop.minimum) || (prop.maximum !== undefined && n > prop.maximum)) return t("dci.range", { min: prop.minimum ?? "…", max: prop.maximum ?? "…" });
  }
  if (prop.maxLength !== undefined && String(value).length > prop.maxLength) return t("dci.tooLong", { n: prop.maxLength });
  if (prop.pattern && !new RegExp(prop.pattern).test(String(value))) return t("dci.badFormat");
  return null;
}

function ParamInput({ name, prop, value, set }) {
  const attrs = { name, value, "data-testid": `dci-param-${name}`, onInput: (e) => set(e.target.value), onChange: (e) => set(e.target.value) };
  if (prop.enum) return html`<select ...${attrs}>${prop.enum.map((o) => html`<option value=${o}>${o}</option>`)}</select>`;
  if (prop.format === "date") return html`<input type="date" ...${attrs} />`;
  if (prop.type === "integer") return html`<input type="number" min=${prop.minimum} max=${prop.maximum} ...${attrs} />`;
  return html`<input type="text" maxlength=${prop.maxLength} ...${attrs} />`;
}

function RunForm({ pipeline, onClose, onStarted }) {
  const schema = pipeline.params_schema || {};
  const props = schema.properties || {};
  const required = new Set(schema.required || []);
  const [values, setValues] = useState(() => Object.fromEntries(Object.entries(props).map(([k, p]) => [k, p.default !== undefined ? String(p.default) : ""])));
  const [errors, setErrors] = useState({});
  const [note, setNote] = useState(null);
  const submit = async () => {
    const found = {};
    for (const [k, p] of Object.entries(props)) { const e = problem(values[k], p, required.has(k)); if (e) found[k] = e; }
    setErrors(found); setNote(null);
    if (Object.keys(found).length) return;
    const params = {};
    for (const [k, p] of Object.entries(props)) if (values[k] !== "") params[k] = p.type === "integer" ? Number(values[k]) : values[k];
    try {
      const run = await api("POST", `/api/dci/pipeline/${encodeURIComponent(pipeline.name)}/run`, { params });
      toast(t("dci.started", { name: pipeline.name }));
      onStarted(run);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const fields = {};
      for (const [k, msg] of Object.entries(err.fields())) fields[k.replace(/^params\.?/, "") || "_"] = msg;
      setErrors(fields);
      setNote(fields._ || (Object.keys(fields).length ? null : err.message));
    }
  };
  return html`<${Modal} title=${t("dci.runTitle", { name: pipeline.name })} onClose=${onClose}>
    <form data-testid="dci-run-form" onSubmit=${(e) => e.preventDefault()}>
      ${Object.keys(props).length === 0 ? html`<div class="note">${t("dci.noParams")}</div>` : null}
      ${Object.entries(props).map(([k, p]) => html`<${Field} label=${word("dci.param", k, p.title) + (required.has(k) ? " *" : "")} name=${k} error=${errors[k]}>
        <${ParamInput} name=${k} prop=${p} value=${values[k]} set=${(v) => setValues({ ...values, [k]: v })} />
      </${Field}>`)}
      ${note ? html`<div class="note error" role="alert" data-testid="dci-run-error">${note}</div>` : null}
      <div class="actions"><${Button} kind="primary" action=${submit} testid="dci-run-submit">${t("dci.run")}</${Button}>
        <button class="btn" type="button" onClick=${onClose}>${t("cancel")}</button></div>
    </form>
  </${Modal}>`;
}

// The selected pipeline's newest run: its lines so far from the DCI log, then each `pipeline.update` line live.
function LiveLog({ pipeline, runId }) {
  const [lines, setLines] = useState(() => new Map());  // seq → text: the stored and the live lines, once each
  const [state, setState] = useState(null);
  const box = useRef(null);
  useEffect(() => {
    if (!runId) { setLines(new Map()); return undefined; }
    let alive = true;
    const seqs = new Set();
    const add = (entries) => {
      for (const [k] of entries) seqs.add(k);
      setLines((m) => { const next = new Map(m); for (const [k, v] of entries) next.set(k, v); return next; });
    };
    const readStatus = () => api("GET", `/api/dci/pipeline/${encodeURIComponent(pipeline)}/status`).then((st) => {
      if (!alive) return;
      setState(st);
      if (st && FINAL.includes(st.status) && !seqs.has(1)) readLogs();
    }).catch(() => {});
    setLines(new Map());
    const off = on("pipeline.update", (u) => {
      if (u.name !== pipeline || u.run_id !== runId) return;
      if (u.lines) {
        // a gap before these lines (they went by while this view did not know the run yet): the stored log has them
        if (u.seq > 1 && (!seqs.has(u.seq - 1) || !seqs.has(1))) readLogs();
        add(u.lines.map((line, i) => [u.seq + i, line]));
      }
      // A finished run: its status adds the error and the last lines, and the stored log fills in any line that
      // went by before this view knew the run (the first ones come while the run's id is on its way back).
      else if (FINAL.includes(u.status)) { readStatus(); readLogs(); }
      else setState(u);
    });
    const readLogs = () => api("GET", "/api/dci/logs", null, { pipeline, run_id: runId, limit: LOG_PAGE }).then((rows) => {
      if (alive) add(rows.map((r) => [(r.context || {}).seq ?? -r.id, r.message]));
    }).catch(() => {});
    readLogs();
    readStatus();
    return () => { alive = false; off(); };
  }, [pipeline, runId]);
  useEffect(() => { if (box.current) box.current.scrollTop = box.current.scrollHeight; }, [lines.size]);
  const text = [...lines.entries()].sort((a, b) => a[0] - b[0]).slice(-MAX_LINES).map(([, v]) => v);
  if (!runId) return html`<div class="note">${t("dci.pick")}</div>`;
  return html`<div class="box" data-testid="dci-live">
    <h3>${t("dci.liveTitle", { run: runId, name: pipeline })} ${state ? html`<${StatusBadge} status=${state.status} />` : null}</h3>
    ${state && state.exit_code !== null && state.exit_code !== undefined && FINAL.includes(state.status) ? html`<dl class="facts">
      <dt>${t("dci.exit")}</dt><dd data-testid="dci-exit">${state.exit_code}</dd>
      ${state.step ? html`<dt>${t("dci.step")}</dt><dd>${state.step}</dd>` : null}
      ${state.error ? html`<dt>${t("dci.error")}</dt><dd class="sev-error">${state.error}</dd>` : null}</dl>` : null}
    <pre class="runlog" ref=${box} data-testid="dci-live-log">${text.length ? text.join("\n") : t("dci.liveEmpty")}</pre>
  </div>`;
}

function Pipelines({ onRuns }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [form, setForm] = useState(null);
  const [picked, setPicked] = useState(null);
  const load = () => api("GET", "/api/dci/pipelines").then((r) => { setRows(r); setError(null); }).catch(setError);
  useEffect(() => { load(); }, []);
  useEffect(() => on("pipeline.update", (u) => { if (!u.lines) { load(); onRuns(); } }), []);
  const stop = (p) => async () => {
    const s = await api("POST", `/api/dci/pipeline/${encodeURIComponent(p.name)}/stop`, {});
    toast(s.stopped ? t("dci.stopped", { name: p.name }) : t("dci.notRunning", { name: p.name }));
    load();
  };
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!rows) return html`<div class="loading">${t("loading")}</div>`;
  const current = rows.find((p) => p.name === picked);
  const columns = [
    { label: t("dci.pipeline"), render: (p) => html`<b>${p.name}</b>` },
    { label: t("dci.description"), render: (p) => word("dci.desc", p.name, p.description) },
    { label: t("dci.status"), render: (p) => html`<${StatusBadge} status=${p.status} />` },
    { label: t("dci.by"), render: (p) => p.triggered_by || "—" },
    { label: t("dci.start"), render: (p) => fmtDateTime(p.start_time) },
    { label: t("dci.end"), render: (p) => fmtDateTime(p.end_time) },
    { label: "", render: (p) => html`<span class="actions" onClick=${(e) => e.stopPropagation()}>
      ${can(`vssd.pipelines.${p.name}.create`) ? html`<button class="btn small primary" data-testid=${`dci-run-${p.name}`} disabled=${p.status === "running"} onClick=${() => setForm(p)}>${t("dci.run")}</button>` : null}
      ${can(`vssd.pipelines.${p.name}.update`) && p.status === "running" ? html`<${Button} kind="small danger" action=${stop(p)} testid=${`dci-stop-${p.name}`}>${t("dci.stop")}</${Button}>` : null}
      ${p.run_id ? html`<button class="btn small" data-testid=${`dci-log-${p.name}`} onClick=${() => setPicked(p.name)}>${t("dci.log")}</button>` : null}
    </span>` },
  ];
  return html`<div>
    <${Table} testid="dci-pipelines" columns=${columns} rows=${rows} rowKey=${(p) => p.name} onRow=${(p) => p.run_id && setPicked(p.name)} />
    ${form ? html`<${RunForm} pipeline=${form} onClose=${() => setForm(null)} onStarted=${(run) => { setForm(null); setPicked(run.name); load(); }} />` : null}
    <${LiveLog} pipeline=${current ? current.name : null} runId=${current ? current.run_id : null} />
  </div>`;
}

function SystemCards({ tick }) {
  const [s, setS] = useState(null);
  useEffect(() => { if (can("vssd.monitor.read")) api("GET", "/api/dci/status").then(setS).catch(() => setS(null)); }, [tick]);
  if (!s) return null;
  const card = (label, value, testid) => html`<div class="card" data-testid=${testid}><div class="label">${label}</div><div class="value">${value}</div></div>`;
  return html`<div class="cards" data-testid="dci-status">
    ${card(t("dci.running"), `${fmtNum(s.running.length)} / ${fmtNum(s.max_concurrent_runs)}`, "dci-running")}
    ${card(t("dci.queue"), `${fmtNum(s.logs.queued)} / ${fmtNum(s.logs.queue_limit)}`, "dci-queue")}
    ${card(t("dci.written"), fmtNum(s.logs.written), "dci-written")}
    ${card(t("dci.dropped"), fmtNum(s.logs.dropped), "dci-dropped")}
  </div>`;
}

function Logs({ tick }) {
  const [filter, setFilter] = useState({ module: "", severity: "" });
  const paged = usePaged(({ limit, offset }) => api("GET", "/api/dci/logs", null, { ...filter, limit, offset }), [filter.module, filter.severity, tick], 50);
  const set = (k) => (e) => setFilter({ ...filter, [k]: e.target.value });
  const context = (r) => {
    const entries = Object.entries(r.context || {}).filter(([k]) => k !== "logger" && k !== "seq");
    return entries.length ? entries.map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ") : "—";
  };
  return html`<div class="box">
    <h3>${t("dci.logs")}</h3>
    <div class="toolbar">
      <select value=${filter.module} onChange=${set("module")} data-testid="dci-log-module"><option value="">${t("dci.allModules")}</option>${MODULES.map((m) => html`<option value=${m}>${m}</option>`)}</select>
      <select value=${filter.severity} onChange=${set("severity")} data-testid="dci-log-severity"><option value="">${t("dci.allSeverities")}</option>${SEVERITIES.map((s) => html`<option value=${s}>${word("dci.sev", s)}</option>`)}</select>
      <button class="btn small" data-testid="dci-log-refresh" onClick=${paged.reload}>${t("dci.refresh")}</button>
      <${Pager} offset=${paged.offset} limit=${paged.limit} total=${paged.total} onPage=${paged.setOffset} />
    </div>
    ${paged.error ? html`<${ErrorNote} error=${paged.error} />` : html`<${Table} testid="dci-logs" rows=${paged.rows} columns=${[
      { label: t("time"), render: (r) => fmtDateTime(r.timestamp) },
      { label: t("dci.module"), key: "module" },
      { label: t("dci.severity"), render: (r) => html`<span class="sev-${r.severity}">${word("dci.sev", r.severity)}</span>` },
      { label: t("dci.pipeline"), render: (r) => r.pipeline ? `${r.pipeline} #${r.run_id}` : "—" },
      { label: t("dci.message"), render: (r) => html`<span class="logmsg">${r.message}</span>` },
      { label: t("dci.context"), render: context },
    ]} />`}
  </div>`;
}

export default function Dci() {
  const [tick, setTick] = useState(0);
  return html`<section class="page dci">
    <h1>${t("dci.title")}</h1>
    <${SystemCards} tick=${tick} />
    <${Pipelines} onRuns=${() => setTick((n) => n + 1)} />
    ${can("vssd.dci.logs.read") ? html`<${Logs} tick=${tick} />` : null}
  </section>`;
}
