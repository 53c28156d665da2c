// A new campaign (the Campaigns page's dialog): name, slot type and the settings the API takes, checked here with
// the API's ranges (vssd/calls/campaign.py CampaignSettings) before sending; the API's 422 details go beside their
// fields. A CSV file of leads (read with File.text(), first rows previewed) is uploaded after the campaign is
// created (`POST …/{id}/leads`, text/csv); the rows the API rejected are listed with their line and reason.
import { html, useState } from "../../vendor/preact-htm.mjs";
import { api, ApiError } from "../api.js";
import { extend, fmtNum, t } from "../i18n.js";
import { Button, Field, Modal, Table } from "../ui.js";

extend({
  ru: {
    "cmpNew.title": "Новая кампания", "cmpNew.name": "Название", "cmpNew.slotType": "Тип слотов", "cmpNew.anySlot": "Любой",
    "cmpNew.mode": "Режим набора", "cmpNew.ratio": "Звонков на свободного оператора", "cmpNew.maxCalls": "Одновременных звонков, не более",
    "cmpNew.retries": "Повторных попыток", "cmpNew.retryDelay": "Пауза между попытками, с", "cmpNew.ring": "Ожидание ответа, с",
    "cmpNew.cap": "Предел брошенных, %", "cmpNew.capHint": "Пусто — предел политики", "cmpNew.policy": "Политика соответствия",
    "cmpNew.callerId": "Номер абонента (Caller ID)", "cmpNew.csv": "Лиды из CSV", "cmpNew.csvHint": "Столбцы phone (или number), name, tz; до 8 МБ",
    "cmpNew.preview": "Первые строки файла", "cmpNew.pick": "Выбрать файл…", "cmpNew.noFile": "файл не выбран", "cmpNew.rowsInFile": "строк данных: {n}", "cmpNew.create": "Создать",
    "cmpNew.required": "Обязательное поле", "cmpNew.range": "Число от {min} до {max}", "cmpNew.int": "Целое число от {min} до {max}",
    "cmpNew.capRange": "Больше 0 и не больше 100", "cmpNew.tooLong": "Не длиннее {n} символов", "cmpNew.tooBig": "Файл больше 8 МБ",
    "cmpNew.notCsv": "Нужен текстовый CSV-файл", "cmpNew.created": "Кампания «{name}» создана",
    "cmpNew.accepted": "Принято лидов", "cmpNew.rejected": "Отклонено строк", "cmpNew.rejectedRows": "Отклонённые строки",
    "cmpNew.row": "Строка", "cmpNew.number": "Номер", "cmpNew.reason": "Причина", "cmpNew.open": "Открыть кампанию",
    "cmpNew.noLeads": "Лиды не загружены: {msg}", "cmpNew.fix": "Исправьте отмеченные поля",
    "mode.preview": "Предпросмотр", "mode.progressive": "Прогрессивный", "mode.ratio": "С коэффициентом", "mode.predictive": "Предиктивный",
    "policy.us_tsr": "US TSR (окна звонков, 3 % брошенных)", "policy.none": "Без ограничений",
    "reject.invalid_number": "неверный номер", "reject.invalid_lead": "неверная строка",
  },
  en: {
    "cmpNew.title": "New campaign", "cmpNew.name": "Name", "cmpNew.slotType": "Slot type", "cmpNew.anySlot": "Any",
    "cmpNew.mode": "Dial mode", "cmpNew.ratio": "Calls per free operator", "cmpNew.maxCalls": "Concurrent calls, at most",
    "cmpNew.retries": "Retries", "cmpNew.retryDelay": "Delay between attempts, s", "cmpNew.ring": "Ring timeout, s",
    "cmpNew.cap": "Abandon cap, %", "cmpNew.capHint": "Empty: the policy's cap", "cmpNew.policy": "Compliance policy",
    "cmpNew.callerId": "Caller ID", "cmpNew.csv": "Leads from CSV", "cmpNew.csvHint": "Columns phone (or number), name, tz; up to 8 MB",
    "cmpNew.preview": "First rows of the file", "cmpNew.pick": "Choose a file…", "cmpNew.noFile": "no file chosen", "cmpNew.rowsInFile": "data rows: {n}", "cmpNew.create": "Create",
    "cmpNew.required": "Required", "cmpNew.range": "A number from {min} to {max}", "cmpNew.int": "A whole number from {min} to {max}",
    "cmpNew.capRange": "Above 0 and at most 100", "cmpNew.tooLong": "At most {n} characters", "cmpNew.tooBig": "The file is over 8 MB",
    "cmpNew.notCsv": "A text CSV file is needed", "cmpNew.created": "Campaign “{name}” created",
    "cmpNew.accepted": "Leads accepted", "cmpNew.rejected": "Rows rejected", "cmpNew.rejectedRows": "Rejected rows",
    "cmpNew.row": "Row", "cmpNew.number": "Number", "cmpNew.reason": "Reason", "cmpNew.open": "Open the campaign",
    "cmpNew.noLeads": "Leads not imported: {msg}", "cmpNew.fix": "Correct the marked fields",
    "mode.preview": "Preview", "mode.progressive": "Progressive", "mode.ratio": "Ratio", "mode.predictive": "Predictive",
    "policy.us_tsr": "US TSR (calling hours, 3 % abandons)", "policy.none": "None",
    "reject.invalid_number": "invalid number", "reject.invalid_lead": "malformed row",
  },
});

export const MODES = ["preview", "progressive", "ratio", "predictive"];
const SLOT_TYPES = ["AUTO", "MF", "LS"];
const POLICIES = ["us_tsr", "none"];
const MAX_CSV = 8 * 1024 * 1024;
// field → [min, max, whole number]: CampaignSettings' bounds.
const RANGES = { max_concurrent_calls: [1, 10000, true], retry_count: [0, 50, true], retry_delay: [0, 2592000, false],
  ratio: [1, 10, false], ring_timeout_s: [15, 120, false] };
const BLANK = { name: "", slot_type: "", mode: "progressive", ratio: "1.5", max_concurrent_calls: "50", retry_count: "3",
  retry_delay: "300", ring_timeout_s: "25", abandon_cap_pct: "", policy: "us_tsr", caller_id: "" };

// Records of a CSV text (quoted cells, "" inside quotes), as the API's csv.reader reads them.
export function csvRecords(text) {
  const rows = []; let row = [], cell = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") { if (c === "\r" && text[i + 1] === "\n") i++; row.push(cell); rows.push(row); row = []; cell = ""; }
    else cell += c;
  }
  if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// What the API will read: its header (or null), the data records, and each one's row number in the file.
export function csvLeads(text) {
  const all = csvRecords(text.replace(/^\uFEFF/, ""));
  const kept = all.map((r, i) => [r, i + 1]).filter(([r]) => r.some((c) => c.trim()));
  if (!kept.length) return { header: null, rows: [], lines: [] };
  const head = kept[0][0].map((h) => h.trim().toLowerCase());
  const header = head.includes("phone") || head.includes("number") ? kept[0][0] : null;
  const data = header ? kept.slice(1) : kept;
  return { header, rows: data.map(([r]) => r), lines: data.map(([, n]) => n) };
}

function check(form) {
  const errors = {};
  const name = form.name.trim();
  if (!name) errors.name = t("cmpNew.required"); else if (name.length > 200) errors.name = t("cmpNew.tooLong", { n: 200 });
  const settings = { mode: form.mode, policy: form.policy };
  for (const [key, [min, max, whole]] of Object.entries(RANGES)) {
    if (key === "ratio" && form.mode !== "ratio") continue;
    const raw = String(form[key]).trim().replace(",", ".");
    const n = Number(raw);
    if (raw === "" || !Number.isFinite(n) || n < min || n > max || (whole && !Number.isInteger(n))) {
      errors[key] = t(whole ? "cmpNew.int" : "cmpNew.range", { min: fmtNum(min), max: fmtNum(max) });
    } else settings[key] = n;
  }
  const cap = String(form.abandon_cap_pct).trim().replace(",", ".");
  if (cap !== "") {
    const n = Number(cap);
    if (!Number.isFinite(n) || n <= 0 || n > 100) errors.abandon_cap_pct = t("cmpNew.capRange"); else settings.abandon_cap_pct = n;
  }
  if (form.caller_id.length > 64) errors.caller_id = t("cmpNew.tooLong", { n: 64 }); else if (form.caller_id.trim()) settings.caller_id = form.caller_id.trim();
  if (form.slot_type) settings.slot_type = form.slot_type;
  return { errors, body: { name, settings } };
}

// The API's 422 details by the form's field names (`settings.max_concurrent_calls` → `max_concurrent_calls`).
function apiErrors(err) {
  const out = {};
  for (const [k, v] of Object.entries(err.fields())) out[k.replace(/^settings\./, "") || "_"] = v;
  if (!Object.keys(out).length) out._ = err.message;
  return out;
}

function CsvInput({ csv, setCsv, error }) {
  const pick = async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) { setCsv(null); return; }
    if (file.size > MAX_CSV) { setCsv({ name: file.name, error: t("cmpNew.tooBig") }); return; }
    const text = await file.text();
    if (text.includes("\u0000")) { setCsv({ name: file.name, error: t("cmpNew.notCsv") }); return; }
    setCsv({ name: file.name, text, ...csvLeads(text) });
  };
  const shown = csv && csv.rows ? csv.rows.slice(0, 5) : [];
  const width = csv && csv.rows ? Math.max(csv.header ? csv.header.length : 0, ...shown.map((r) => r.length), 1) : 1;
  return html`<${Field} label=${t("cmpNew.csv")} name="csv" error=${error || (csv && csv.error)} hint=${t("cmpNew.csvHint")}>
    <span class="file-pick"><span class="btn">${t("cmpNew.pick")}</span>
      <input type="file" accept=".csv,text/csv,text/plain" onChange=${pick} data-testid="campaign-csv" />
      <span class="name">${csv ? csv.name : t("cmpNew.noFile")}</span></span>
    ${shown.length ? html`<div class="csv-preview" data-testid="campaign-csv-preview">
      <div class="muted">${t("cmpNew.preview")} · ${t("cmpNew.rowsInFile", { n: fmtNum(csv.rows.length) })}</div>
      <table class="grid-table compact">
        ${csv.header ? html`<thead><tr><th>#</th>${csv.header.map((h) => html`<th>${h}</th>`)}</tr></thead>` : null}
        <tbody>${shown.map((r, i) => html`<tr><td class="muted">${csv.lines[i]}</td>${Array.from({ length: width }, (_, j) => html`<td>${r[j] ?? ""}</td>`)}</tr>`)}</tbody>
      </table></div>` : null}
  </${Field}>`;
}

function Result({ result, onOpen, onClose }) {
  const { campaign, imported, rejected, lines, leadError } = result;
  const line = (r) => (lines && lines[r.index] !== undefined ? lines[r.index] : r.index + 1);
  return html`<div data-testid="campaign-created">
    <div class="note ok">${t("cmpNew.created", { name: campaign.name })}</div>
    ${leadError ? html`<div class="note error" role="alert">${t("cmpNew.noLeads", { msg: leadError })}</div>` : null}
    <div class="cards">
      <div class="card"><div class="label">${t("cmpNew.accepted")}</div><div class="value" data-testid="campaign-accepted">${fmtNum(imported)}</div></div>
      <div class="card"><div class="label">${t("cmpNew.rejected")}</div><div class="value ${rejected.length ? "bad" : ""}" data-testid="campaign-rejected-count">${fmtNum(rejected.length)}</div></div>
    </div>
    ${rejected.length ? html`<h3>${t("cmpNew.rejectedRows")}</h3><div class="scroll-box"><${Table} testid="campaign-rejected" rowKey=${(r) => r.index}
      columns=${[{ label: t("cmpNew.row"), render: line }, { label: t("cmpNew.number"), render: (r) => r.phone || "—" },
        { label: t("cmpNew.reason"), render: (r) => html`<b>${t(`reject.${r.reason}`)}</b> <span class="muted">${r.message || ""}</span>` }]}
      rows=${rejected} /></div>` : null}
    <div class="actions">
      <button class="btn primary" onClick=${onOpen} data-testid="campaign-open">${t("cmpNew.open")}</button>
      <button class="btn" onClick=${onClose}>${t("close")}</button>
    </div>
  </div>`;
}

export function CreateCampaign({ onClose, onCreated, onOpen }) {
  const [form, setForm] = useState(BLANK);
  const [csv, setCsv] = useState(null);
  const [errors, setErrors] = useState({});
  const [result, setResult] = useState(null);
  const set = (k) => (e) => {  // an edited field drops its error (and the form's note with the last one)
    setForm({ ...form, [k]: e.target.value });
    if (errors[k]) { const { [k]: _gone, _: _note, ...rest } = errors; setErrors(rest); }
  };
  const submit = async () => {
    const { errors: found, body } = check(form);
    if (csv && csv.error) found.csv = csv.error;
    setErrors(found);
    if (Object.keys(found).length) return;
    let campaign;
    try { campaign = await api("POST", "/api/autodialer/campaigns", body); } catch (err) {
      if (err instanceof ApiError && err.status !== 403) { setErrors(apiErrors(err)); return; }
      throw err;
    }
    const out = { campaign, imported: 0, rejected: [], lines: csv && csv.lines };
    if (csv && csv.text) {
      try { const r = await api("POST", `/api/autodialer/campaigns/${encodeURIComponent(campaign.id)}/leads`, csv.text); out.imported = r.imported; out.rejected = r.rejected || []; }
      catch (err) { out.leadError = err.message; }
    }
    setResult(out);
    onCreated(campaign);
  };
  const input = (k, props = {}) => html`<input name=${k} value=${form[k]} onInput=${set(k)} data-testid=${`campaign-${k}`} ...${props} />`;
  const field = (k, label, body, hint) => html`<${Field} label=${label} name=${k} error=${errors[k]} hint=${hint}>${body}</${Field}>`;
  return html`<${Modal} title=${t("cmpNew.title")} onClose=${onClose} wide>
    ${result ? html`<${Result} result=${result} onOpen=${() => onOpen(result.campaign.id)} onClose=${onClose} />` : html`
    <form class="campaign-form" data-testid="campaign-form" onSubmit=${(e) => e.preventDefault()}>
      <div class="form-grid">
        ${field("name", t("cmpNew.name"), input("name", { maxlength: 200, autofocus: true }))}
        ${field("slot_type", t("cmpNew.slotType"), html`<select name="slot_type" value=${form.slot_type} onChange=${set("slot_type")} data-testid="campaign-slot_type">
          <option value="">${t("cmpNew.anySlot")}</option>${SLOT_TYPES.map((x) => html`<option value=${x}>${x}</option>`)}</select>`)}
        ${field("mode", t("cmpNew.mode"), html`<select name="mode" value=${form.mode} onChange=${set("mode")} data-testid="campaign-mode">
          ${MODES.map((m) => html`<option value=${m}>${t(`mode.${m}`)}</option>`)}</select>`)}
        ${form.mode === "ratio" ? field("ratio", t("cmpNew.ratio"), input("ratio", { inputmode: "decimal" })) : null}
        ${field("max_concurrent_calls", t("cmpNew.maxCalls"), input("max_concurrent_calls", { inputmode: "numeric" }))}
        ${field("retry_count", t("cmpNew.retries"), input("retry_count", { inputmode: "numeric" }))}
        ${field("retry_delay", t("cmpNew.retryDelay"), input("retry_delay", { inputmode: "decimal" }))}
        ${field("ring_timeout_s", t("cmpNew.ring"), input("ring_timeout_s", { inputmode: "decimal" }))}
        ${field("policy", t("cmpNew.policy"), html`<select name="policy" value=${form.policy} onChange=${set("policy")} data-testid="campaign-policy">
          ${POLICIES.map((p) => html`<option value=${p}>${t(`policy.${p}`)}</option>`)}</select>`)}
        ${field("abandon_cap_pct", t("cmpNew.cap"), input("abandon_cap_pct", { inputmode: "decimal" }), t("cmpNew.capHint"))}
        ${field("caller_id", t("cmpNew.callerId"), input("caller_id", { maxlength: 64 }))}
      </div>
      <${CsvInput} csv=${csv} error=${errors.csv} setCsv=${(c) => {
        setCsv(c);
        if (errors.csv) { const { csv: _gone, _: _note, ...rest } = errors; setErrors(rest); }
      }} />
      ${errors._ || Object.keys(errors).length ? html`<div class="note error" role="alert" data-testid="campaign-form-error">${errors._ || t("cmpNew.fix")}</div>` : null}
      <div class="actions">
        <${Button} kind="primary" action=${submit} testid="campaign-submit">${t("cmpNew.create")}</${Button}>
        <button type="button" class="btn" onClick=${onClose}>${t("cancel")}</button>
      </div>
    </form>`}
  </${Modal}>`;
}
