// CRM (`/crm`): leads with filters (status, seller, created range, name/phone search), a create/edit form
// validated before sending (the API's field errors shown beside the fields), a lead's status history and notes,
// and pushing a lead into an autodialer campaign. A seller sees their own leads only (the API decides).
import { html, useEffect, useState } from "../../vendor/preact-htm.mjs";
import { api, ApiError, can } from "../api.js";
import { extend, fmtDateTime, t } from "../i18n.js";
import { toast } from "../store.js";
import { Button, ErrorNote, Field, Modal, Pager, Table, usePaged } from "../ui.js";

const STATUSES = ["new", "queued", "no_answer", "contacted", "callback", "qualified", "won", "lost", "dnc", "invalid"];
const PHONE = /^\+?[0-9][0-9 ()-]{3,30}$/;
const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}$/;

extend({
  ru: {
    "crm.search": "Имя или телефон", "crm.allStatuses": "Все статусы", "crm.seller": "Продавец (id или логин)",
    "crm.from": "Создан с", "crm.to": "по", "crm.new": "Новый лид", "crm.name": "Клиент", "crm.phone": "Телефон",
    "crm.email": "E-mail", "crm.status": "Статус", "crm.source": "Источник", "crm.lastCall": "Последний звонок",
    "crm.created": "Создан", "crm.save": "Сохранить", "crm.edit": "Лид: {name}", "crm.history": "История",
    "crm.notes": "Заметки", "crm.noNotes": "Заметок нет", "crm.addNote": "Добавить заметку", "crm.push": "В кампанию",
    "crm.campaign": "Кампания", "crm.pushed": "Лид отправлен в кампанию", "crm.rejected": "Кампания не приняла лид: {why}",
    "crm.saved": "Лид сохранён", "crm.required": "Обязательное поле", "crm.badPhone": "Телефон: цифры, можно с +",
    "crm.badEmail": "Неверный адрес", "crm.event": "Событие", "crm.fromStatus": "Было", "crm.toStatus": "Стало",
    "crm.call": "Звонок", "crm.data": "Доп. поля", "crm.outcome": "Итог",
    "crm.ev.created": "создан", "crm.ev.updated": "изменён", "crm.ev.pushed": "в кампании", "crm.ev.call": "звонок",
    "crm.ev.disposition": "результат оператора",
    "crm.st.new": "новый", "crm.st.queued": "в очереди", "crm.st.no_answer": "не дозвонились", "crm.st.contacted": "связались",
    "crm.st.callback": "перезвонить", "crm.st.qualified": "квалифицирован", "crm.st.won": "продажа", "crm.st.lost": "отказ",
    "crm.st.dnc": "не звонить", "crm.st.invalid": "неверный номер",
  },
  en: {
    "crm.search": "Name or phone", "crm.allStatuses": "All statuses", "crm.seller": "Seller (id or username)",
    "crm.from": "Created from", "crm.to": "to", "crm.new": "New lead", "crm.name": "Client", "crm.phone": "Phone",
    "crm.email": "E-mail", "crm.status": "Status", "crm.source": "Source", "crm.lastCall": "Last call",
    "crm.created": "Created", "crm.save": "Save", "crm.edit": "Lead: {name}", "crm.history": "History",
    "crm.notes": "Notes", "crm.noNotes": "No notes", "crm.addNote": "Add a note", "crm.push": "To campaign",
    "crm.campaign": "Campaign", "crm.pushed": "Lead pushed into the campaign", "crm.rejected": "The campaign refused the lead: {why}",
    "crm.saved": "Lead saved", "crm.required": "Required", "crm.badPhone": "Phone: digits, optionally with +",
    "crm.badEmail": "Not an e-mail address", "crm.event": "Event", "crm.fromStatus": "From", "crm.toStatus": "To",
    "crm.call": "Call", "crm.data": "Extra fields", "crm.outcome": "Outcome",
    "crm.ev.created": "created", "crm.ev.updated": "changed", "crm.ev.pushed": "in a campaign", "crm.ev.call": "call",
    "crm.ev.disposition": "operator's disposition",
    "crm.st.new": "new", "crm.st.queued": "queued", "crm.st.no_answer": "no answer", "crm.st.contacted": "contacted",
    "crm.st.callback": "call back", "crm.st.qualified": "qualified", "crm.st.won": "won", "crm.st.lost": "lost",
    "crm.st.dnc": "do not call", "crm.st.invalid": "invalid number",
  },
});

const status = (s) => (s ? html`<span class="badge crm-${s}">${t(`crm.st.${s}`)}</span>` : "—");

function Filters({ filter, setFilter, onNew, total }) {
  const set = (k) => (e) => setFilter({ ...filter, [k]: e.target.value });
  return html`<div class="toolbar">
    <input type="search" placeholder=${t("crm.search")} value=${filter.q} onChange=${set("q")} data-testid="crm-search" />
    <select value=${filter.status} onChange=${set("status")} data-testid="crm-status"><option value="">${t("crm.allStatuses")}</option>${STATUSES.map((s) => html`<option value=${s}>${t(`crm.st.${s}`)}</option>`)}</select>
    <input placeholder=${t("crm.seller")} value=${filter.seller} onChange=${set("seller")} data-testid="crm-seller" />
    <label>${t("crm.from")} <input type="date" value=${filter.from} onChange=${set("from")} data-testid="crm-from" /></label>
    <label>${t("crm.to")} <input type="date" value=${filter.to} onChange=${set("to")} data-testid="crm-to" /></label>
    <span class="count" data-testid="crm-count">${total}</span>
    ${can("vssd.crm.leads.create") ? html`<button class="btn" onClick=${onNew} data-testid="crm-new">${t("crm.new")}</button>` : null}
  </div>`;
}

function check(form) {
  const errors = {};
  if (!form.client_name.trim()) errors.client_name = t("crm.required");
  if (!PHONE.test(form.phone.trim())) errors.phone = form.phone.trim() ? t("crm.badPhone") : t("crm.required");
  if (form.email.trim() && !EMAIL.test(form.email.trim())) errors.email = t("crm.badEmail");
  return errors;
}

function LeadForm({ lead, onSaved }) {
  const [form, setForm] = useState({ client_name: lead ? lead.client_name : "", phone: lead ? lead.phone : "",
    email: (lead && lead.email) || "", status: lead ? lead.status : "new", source: (lead && lead.source) || "" });
  const [errors, setErrors] = useState({});
  const [error, setError] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const save = async () => {
    const found = check(form);
    setErrors(found); setError(null);
    if (Object.keys(found).length) return;
    const body = { client_name: form.client_name.trim(), phone: form.phone.trim(), status: form.status };
    if (form.email.trim()) body.email = form.email.trim();
    if (form.source.trim()) body.source = form.source.trim();
    try {
      const saved = lead ? await api("PATCH", `/api/crm/leads/${lead.id}`, body) : await api("POST", "/api/crm/leads", body);
      toast(t("crm.saved")); onSaved(saved);
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields()).length) setErrors(err.fields()); else setError(err);
    }
  };
  const field = (name, label, type = "text") => html`<${Field} label=${label} name=${name} error=${errors[name]}>
    <input type=${type} value=${form[name]} onInput=${set(name)} data-testid=${`crm-f-${name}`} /></${Field}>`;
  return html`<form class="form" data-testid="crm-form" onSubmit=${(e) => e.preventDefault()}>
    ${field("client_name", t("crm.name"))}${field("phone", t("crm.phone"), "tel")}${field("email", t("crm.email"))}
    <${Field} label=${t("crm.status")} name="status" error=${errors.status}><select value=${form.status} onChange=${set("status")} data-testid="crm-f-status">
      ${STATUSES.map((s) => html`<option value=${s}>${t(`crm.st.${s}`)}</option>`)}</select></${Field}>
    ${field("source", t("crm.source"))}
    <${ErrorNote} error=${error} />
    <div class="actions"><${Button} action=${save} testid="crm-save">${t("crm.save")}</${Button}></div>
  </form>`;
}

function Push({ lead, onPushed }) {
  const [campaigns, setCampaigns] = useState([]);
  const [chosen, setChosen] = useState("");
  useEffect(() => { api("GET", "/api/autodialer/campaigns", null, { limit: 100 }).then((rows) => setCampaigns(rows || [])).catch(() => setCampaigns([])); }, []);
  const push = async () => {
    const result = await api("POST", `/api/crm/leads/${lead.id}/push`, { campaign_id: chosen });
    if (result.rejected.length) toast(t("crm.rejected", { why: result.rejected[0].message }), "error");
    else { toast(t("crm.pushed")); onPushed(); }
  };
  return html`<div class="toolbar" data-testid="crm-push">
    <select value=${chosen} onChange=${(e) => setChosen(e.target.value)} data-testid="crm-campaign"><option value="">${t("crm.campaign")}</option>
      ${campaigns.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select>
    <${Button} action=${push} disabled=${!chosen} testid="crm-push-btn">${t("crm.push")}</${Button}>
  </div>`;
}

function LeadPanel({ lead, onClose, onChanged }) {
  const [history, setHistory] = useState(null);
  const [notes, setNotes] = useState(null);
  const [text, setText] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api("GET", `/api/crm/leads/${lead.id}/history`).then(setHistory).catch((error) => setHistory({ error }));
    api("GET", `/api/crm/leads/${lead.id}/notes`).then(setNotes).catch((error) => setNotes({ error }));
  }, [lead.id, tick]);
  const addNote = async () => {
    if (!text.trim()) return;
    await api("POST", "/api/crm/note", { lead_id: lead.id, text: text.trim(), type: "lead_note" });
    setText(""); setTick((n) => n + 1);
  };
  const extra = Object.entries(lead.data || {});
  return html`<${Modal} title=${t("crm.edit", { name: lead.client_name })} onClose=${onClose} wide>
    <div class="panel-grid" data-testid="crm-panel">
      <div>
        ${can("vssd.crm.leads.update") ? html`<${LeadForm} lead=${lead} onSaved=${(saved) => { onChanged(saved); setTick((n) => n + 1); }} />` : null}
        ${extra.length ? html`<h3>${t("crm.data")}</h3><dl class="facts">${extra.map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === "object" ? JSON.stringify(v) : String(v)}</dd>`)}</dl>` : null}
        ${can("vssd.campaigns.update") ? html`<${Push} lead=${lead} onPushed=${() => setTick((n) => n + 1)} />` : null}
      </div>
      <div>
        <h3>${t("crm.history")}</h3>
        ${history && history.error ? html`<${ErrorNote} error=${history.error} />` : html`<${Table} testid="crm-history" rowKey=${(r) => r.id}
          columns=${[{ label: t("crm.created"), render: (r) => fmtDateTime(r.at) }, { label: t("crm.event"), render: (r) => t(`crm.ev.${r.event}`) },
            { label: t("crm.fromStatus"), render: (r) => status(r.from_status) }, { label: t("crm.toStatus"), render: (r) => status(r.to_status) },
            { label: t("crm.call"), render: (r) => r.call_id ? `${r.call_id}${r.details && r.details.outcome ? ` · ${r.details.outcome}` : ""}${r.details && r.details.code ? ` · ${r.details.code}` : ""}` : "—" }]}
          rows=${(history && history.history) || []} />`}
        <h3>${t("crm.notes")}</h3>
        ${notes && notes.error ? html`<${ErrorNote} error=${notes.error} />` : html`<ul class="notes" data-testid="crm-notes">
          ${notes && notes.notes.length ? notes.notes.map((n) => html`<li key=${n.id}><small>${fmtDateTime(n.timestamp)}</small> ${n.text}</li>`) : html`<li class="empty">${t("crm.noNotes")}</li>`}</ul>`}
        ${can("vssd.crm.notes.create") ? html`<div class="toolbar"><input value=${text} onInput=${(e) => setText(e.target.value)} maxlength="4000" placeholder=${t("crm.addNote")} data-testid="crm-note-text" />
          <${Button} action=${addNote} disabled=${!text.trim()} testid="crm-note-add">${t("crm.addNote")}</${Button}></div>` : null}
      </div>
    </div>
  </${Modal}>`;
}

export default function Crm() {
  const [filter, setFilter] = useState({ q: "", status: "", seller: "", from: "", to: "" });
  const [open, setOpen] = useState(null);
  const [creating, setCreating] = useState(false);
  const query = {};
  if (filter.q.trim()) query.q = filter.q.trim();
  if (filter.status) query.status = filter.status;
  if (filter.seller.trim()) query.assigned_seller = filter.seller.trim();
  if (filter.from) query.created_from = filter.from;
  if (filter.to) query.created_to = filter.to;
  const paged = usePaged(({ limit, offset }) => api("GET", "/api/crm/leads", null, { ...query, limit, offset }), [JSON.stringify(query)]);
  const columns = [
    { label: t("crm.name"), render: (r) => r.client_name }, { label: t("crm.phone"), key: "phone" },
    { label: t("crm.status"), render: (r) => status(r.status) }, { label: t("crm.email"), render: (r) => r.email || "—" },
    { label: t("crm.lastCall"), render: (r) => r.last_call_at ? `${fmtDateTime(r.last_call_at)} · ${r.last_outcome || ""}` : "—" },
    { label: t("crm.created"), render: (r) => fmtDateTime(r.created_at) },
  ];
  return html`<section class="page crm">
    <${Filters} filter=${filter} setFilter=${setFilter} onNew=${() => setCreating(true)} total=${paged.total} />
    <${ErrorNote} error=${paged.error} />
    <${Table} testid="crm-leads" columns=${columns} rows=${paged.rows} onRow=${(r) => setOpen(r)} />
    <${Pager} offset=${paged.offset} limit=${paged.limit} total=${paged.total} onPage=${paged.setOffset} />
    ${creating ? html`<${Modal} title=${t("crm.new")} onClose=${() => setCreating(false)}><${LeadForm} onSaved=${() => { setCreating(false); paged.reload(); }} /></${Modal}>` : null}
    ${open ? html`<${LeadPanel} lead=${open} onClose=${() => setOpen(null)} onChanged=${(saved) => { setOpen(saved); paged.reload(); }} />` : null}
  </section>`;
}
