// Notifier (`/notifier`): send a notification (to a user, a role, an e-mail address, or the webhook
// subscriptions of `notification`), the delivery history with each delivery's state, attempts and last error
// (re-read when a notification reaches this user, or on demand), and the webhook subscriptions (create, pause,
// delete; the secret is shown once). Each part shows only when the user's permissions allow it.
import { useEffect, useState } from "../../vendor/preact-htm.mjs";
import { api, can } from "../api.js";
import { extend, fmtDateTime, t } from "../i18n.js";
import { on } from "../live.js";
import { toast } from "../store.js";
import { Button, ErrorNote, Field, html, Modal, Pager, Table, usePaged } from "../ui.js";
import { Confirm, FormNote, useForm } from "./admin/form.js";

extend({
  ru: {
    "ntf.send": "Отправить уведомление", "ntf.to": "Кому", "ntf.to.user": "Пользователю", "ntf.to.role": "Роли",
    "ntf.to.email": "На e-mail", "ntf.to.webhook": "Подписчикам вебхуков", "ntf.user": "Логин", "ntf.role": "Роль",
    "ntf.address": "Адрес e-mail", "ntf.title": "Заголовок", "ntf.message": "Текст", "ntf.severity": "Важность",
    "ntf.sev.info": "обычная", "ntf.sev.warning": "предупреждение", "ntf.sev.critical": "критическая",
    "ntf.channels": "Каналы", "ntf.ch.websocket": "в консоль", "ntf.ch.email": "e-mail", "ntf.ch.webhook": "вебхук",
    "ntf.sent": "Уведомление поставлено в очередь: доставок {n}", "ntf.history": "История доставок",
    "ntf.allStates": "Все состояния", "ntf.allChannels": "Все каналы", "ntf.reload": "Обновить",
    "ntf.when": "Создано", "ntf.channel": "Канал", "ntf.recipient": "Получатель", "ntf.event": "Событие",
    "ntf.state": "Состояние", "ntf.attempts": "Попыток", "ntf.error": "Последняя ошибка", "ntf.next": "Следующая попытка",
    "ntf.st.queued": "в очереди", "ntf.st.sent": "доставлено", "ntf.st.failed": "ошибка", "ntf.st.retrying": "повтор",
    "ntf.st.dead": "не доставлено",
    "ntf.hooks": "Подписки вебхуков", "ntf.hook.new": "Новая подписка", "ntf.hook.url": "URL получателя",
    "ntf.hook.events": "События", "ntf.hook.secret": "Секрет подписи (необязательно)", "ntf.hook.description": "Описание",
    "ntf.hook.active": "Активна", "ntf.hook.pause": "Приостановить", "ntf.hook.resume": "Включить", "ntf.hook.delete": "Удалить",
    "ntf.hook.deleteQ": "Удалить подписку {url}?", "ntf.hook.created": "Подписка создана",
    "ntf.hook.secretOnce": "Секрет подписи показан один раз — сохраните его: {secret}",
    "ntf.v.required": "Обязательное поле", "ntf.v.length": "Не больше {max} символов", "ntf.v.email": "Неверный адрес e-mail",
    "ntf.v.url": "Нужен адрес http:// или https://", "ntf.v.events": "Выберите хотя бы одно событие",
    "ntf.v.channels": "Выберите хотя бы один канал", "ntf.v.secret": "От 16 до 256 символов",
    "ntf.yes": "да", "ntf.no": "нет",
  },
  en: {
    "ntf.send": "Send a notification", "ntf.to": "To", "ntf.to.user": "A user", "ntf.to.role": "A role",
    "ntf.to.email": "An e-mail address", "ntf.to.webhook": "Webhook subscribers", "ntf.user": "Username", "ntf.role": "Role",
    "ntf.address": "E-mail address", "ntf.title": "Title", "ntf.message": "Message", "ntf.severity": "Severity",
    "ntf.sev.info": "info", "ntf.sev.warning": "warning", "ntf.sev.critical": "critical",
    "ntf.channels": "Channels", "ntf.ch.websocket": "console", "ntf.ch.email": "e-mail", "ntf.ch.webhook": "webhook",
    "ntf.sent": "Notification queued: {n} deliveries", "ntf.history": "Delivery history",
    "ntf.allStates": "All states", "ntf.allChannels": "All channels", "ntf.reload": "Reload",
    "ntf.when": "Created", "ntf.channel": "Channel", "ntf.recipient": "Recipient", "ntf.event": "Event",
    "ntf.state": "State", "ntf.attempts": "Attempts", "ntf.error": "Last error", "ntf.next": "Next attempt",
    "ntf.st.queued": "queued", "ntf.st.sent": "sent", "ntf.st.failed": "failed", "ntf.st.retrying": "retrying",
    "ntf.st.dead": "dead",
    "ntf.hooks": "Webhook subscriptions", "ntf.hook.new": "New subscription", "ntf.hook.url": "Receiver URL",
    "ntf.hook.events": "Events", "ntf.hook.secret": "Signing secret (optional)", "ntf.hook.description": "Description",
    "ntf.hook.active": "Active", "ntf.hook.pause": "Pause", "ntf.hook.resume": "Resume", "ntf.hook.delete": "Delete",
    "ntf.hook.deleteQ": "Delete the subscription {url}?", "ntf.hook.created": "Subscription created",
    "ntf.hook.secretOnce": "The signing secret is shown once — keep it: {secret}",
    "ntf.v.required": "Required", "ntf.v.length": "At most {max} characters", "ntf.v.email": "Not a valid e-mail address",
    "ntf.v.url": "An http:// or https:// address is required", "ntf.v.events": "Choose at least one event",
    "ntf.v.channels": "Choose at least one channel", "ntf.v.secret": "16 to 256 characters",
    "ntf.yes": "yes", "ntf.no": "no",
  },
});

const TARGETS = ["user", "role", "email", "webhook"];
const ROLES = ["admin", "manager", "supervisor", "operator", "seller"];
const SEVERITIES = ["info", "warning", "critical"];
const STATES = ["queued", "sent", "failed", "retrying", "dead"];
const CHANNELS = ["websocket", "email", "webhook"];
const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,255}$/;

export function StateChip({ state }) {
  return html`<span class="badge ntf-${state}" data-state=${state}>${t(`ntf.st.${state}`)}</span>`;
}

function checkSend(v) {
  const out = {};
  const target = { user: "user", role: "role", email: "address" }[v.target];
  if (target && !String(v[target]).trim()) out[target] = t("ntf.v.required");
  if (v.target === "email" && v.address.trim() && !EMAIL.test(v.address.trim())) out.address = t("ntf.v.email");
  if (!v.title.trim()) out.title = t("ntf.v.required"); else if (v.title.length > 200) out.title = t("ntf.v.length", { max: 200 });
  if (!v.message.trim()) out.message = t("ntf.v.required"); else if (v.message.length > 4000) out.message = t("ntf.v.length", { max: 4000 });
  if ((v.target === "user" || v.target === "role") && !v.websocket && !v.email) out.channels = t("ntf.v.channels");
  return out;
}

function body(v) {
  const out = { title: v.title.trim(), message: v.message.trim(), severity: v.severity };
  if (v.target === "user" || v.target === "role") {
    out[v.target] = v[v.target].trim();
    out.channels = [v.websocket && "websocket", v.email && "email"].filter(Boolean);
  } else if (v.target === "email") { out.channel = "email"; out.address = v.address.trim(); }
  else out.channel = "webhook";
  return out;
}

function SendForm({ onSent }) {
  const form = useForm({ target: "user", user: "", role: "operator", address: "", title: "", message: "", severity: "info", websocket: true, email: false }, checkSend);
  const { values: v, input, errors } = form;
  const send = async () => {
    let answer = null;
    const ok = await form.submit(async (vals) => { answer = await api("POST", "/api/notifier/send", body(vals)); });
    if (ok) { toast(t("ntf.sent", { n: answer.deliveries.length })); form.set("title", ""); form.set("message", ""); onSent(); }
  };
  const people = v.target === "user" || v.target === "role";
  return html`<section class="card ntf-send" data-testid="ntf-send">
    <h3>${t("ntf.send")}</h3>
    <form onSubmit=${(e) => { e.preventDefault(); send(); }}>
      <div class="form-row">
        <${Field} label=${t("ntf.to")} name="target"><select name="target" value=${v.target} onChange=${input("target")}>${TARGETS.map((x) => html`<option value=${x}>${t(`ntf.to.${x}`)}</option>`)}</select></${Field}>
        ${v.target === "user" ? html`<${Field} label=${t("ntf.user")} name="user" error=${errors.user}><input name="user" autocomplete="off" value=${v.user} onInput=${input("user")} /></${Field}>` : null}
        ${v.target === "role" ? html`<${Field} label=${t("ntf.role")} name="role" error=${errors.role}><select name="role" value=${v.role} onChange=${input("role")}>${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select></${Field}>` : null}
        ${v.target === "email" ? html`<${Field} label=${t("ntf.address")} name="address" error=${errors.address}><input name="address" type="email" value=${v.address} onInput=${input("address")} /></${Field}>` : null}
        <${Field} label=${t("ntf.severity")} name="severity" error=${errors.severity}><select name="severity" value=${v.severity} onChange=${input("severity")}>${SEVERITIES.map((s) => html`<option value=${s}>${t(`ntf.sev.${s}`)}</option>`)}</select></${Field}>
      </div>
      <${Field} label=${t("ntf.title")} name="title" error=${errors.title}><input name="title" value=${v.title} onInput=${input("title")} /></${Field}>
      <${Field} label=${t("ntf.message")} name="message" error=${errors.message}><textarea name="message" rows="3" value=${v.message} onInput=${input("message")}></textarea></${Field}>
      ${people ? html`<${Field} label=${t("ntf.channels")} name="channels" error=${errors.channels}><span class="checks">
        <label><input type="checkbox" name="websocket" checked=${v.websocket} onChange=${input("websocket")} /> ${t("ntf.ch.websocket")}</label>
        <label><input type="checkbox" name="email" checked=${v.email} onChange=${input("email")} /> ${t("ntf.ch.email")}</label></span></${Field}>` : null}
      <${FormNote} errors=${errors} />
      <div class="actions"><${Button} kind="primary" action=${send} testid="ntf-send-button">${t("ntf.send")}</${Button}></div>
    </form>
  </section>`;
}

function History({ version }) {
  const [state, setState] = useState("");
  const [channel, setChannel] = useState("");
  const list = usePaged((p) => api("GET", "/api/notifier/history", null, { ...p, state, channel }), [state, channel, version], 25);
  const columns = [
    { label: t("ntf.when"), render: (r) => fmtDateTime(r.created_at) },
    { label: t("ntf.channel"), render: (r) => t(`ntf.ch.${r.channel}`) },
    { label: t("ntf.recipient"), render: (r) => html`<span class="ntf-recipient" title=${r.recipient}>${r.recipient}</span>` },
    { label: t("ntf.title"), render: (r) => r.title || r.event },
    { label: t("ntf.state"), render: (r) => html`<${StateChip} state=${r.state} />` },
    { label: t("ntf.attempts"), key: "attempts" },
    { label: t("ntf.next"), render: (r) => r.state === "retrying" ? fmtDateTime(r.next_attempt_at) : "—" },
    { label: t("ntf.error"), render: (r) => r.last_error ? html`<span class="ntf-error" title=${r.last_error}>${r.last_error}</span>` : "—" },
  ];
  return html`<section class="card" data-testid="ntf-history">
    <h3>${t("ntf.history")}</h3>
    <div class="toolbar">
      <select value=${state} onChange=${(e) => setState(e.target.value)} data-testid="ntf-state"><option value="">${t("ntf.allStates")}</option>${STATES.map((s) => html`<option value=${s}>${t(`ntf.st.${s}`)}</option>`)}</select>
      <select value=${channel} onChange=${(e) => setChannel(e.target.value)} data-testid="ntf-channel"><option value="">${t("ntf.allChannels")}</option>${CHANNELS.map((c) => html`<option value=${c}>${t(`ntf.ch.${c}`)}</option>`)}</select>
      <span class="count">${list.total}</span>
      <button class="btn small" onClick=${list.reload}>${t("ntf.reload")}</button>
    </div>
    <${ErrorNote} error=${list.error} />
    <${Table} testid="ntf-history-table" columns=${columns} rows=${list.rows} />
    <${Pager} offset=${list.offset} limit=${list.limit} total=${list.total} onPage=${list.setOffset} />
  </section>`;
}

function checkHook(v) {
  const out = {};
  if (!/^https?:\/\/[^\s/]+/i.test(v.url.trim())) out.url = t("ntf.v.url");
  if (!v.events.length) out.events = t("ntf.v.events");
  if (v.secret && (v.secret.length < 16 || v.secret.length > 256)) out.secret = t("ntf.v.secret");
  if (v.description.length > 500) out.description = t("ntf.v.length", { max: 500 });
  return out;
}

function HookForm({ catalogue, onClose, onSaved }) {
  const form = useForm({ url: "", events: [], secret: "", description: "" }, checkHook);
  const { values: v, input, errors } = form;
  const toggle = (name) => form.set("events", v.events.includes(name) ? v.events.filter((e) => e !== name) : [...v.events, name]);
  const save = async () => {
    let made = null;
    const ok = await form.submit(async (vals) => {
      const sent = { url: vals.url.trim(), events: vals.events, description: vals.description };
      if (vals.secret) sent.secret = vals.secret;
      made = await api("POST", "/api/notifier/webhooks", sent);
    });
    if (ok) { toast(t("ntf.hook.secretOnce", { secret: made.secret })); onSaved(); onClose(); }
  };
  return html`<${Modal} title=${t("ntf.hook.new")} onClose=${onClose} wide>
    <form data-testid="ntf-hook-form" onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <${Field} label=${t("ntf.hook.url")} name="url" error=${errors.url}><input name="url" autocomplete="off" placeholder="https://" value=${v.url} onInput=${input("url")} /></${Field}>
      <${Field} label=${t("ntf.hook.events")} name="events" error=${errors.events}><span class="checks ntf-events">${catalogue.map((name) => html`
        <label><input type="checkbox" data-event=${name} checked=${v.events.includes(name)} onChange=${() => toggle(name)} /> <code>${name}</code></label>`)}</span></${Field}>
      <div class="form-row">
        <${Field} label=${t("ntf.hook.secret")} name="secret" error=${errors.secret}><input name="secret" autocomplete="off" value=${v.secret} onInput=${input("secret")} /></${Field}>
        <${Field} label=${t("ntf.hook.description")} name="description" error=${errors.description}><input name="description" value=${v.description} onInput=${input("description")} /></${Field}>
      </div>
      <${FormNote} errors=${errors} />
      <div class="actions"><button type="button" class="btn" onClick=${onClose}>${t("cancel")}</button><${Button} kind="primary" action=${save} testid="ntf-hook-save">${t("ntf.hook.new")}</${Button}></div>
    </form>
  </${Modal}>`;
}

function Hooks() {
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState(null);
  const [catalogue, setCatalogue] = useState([]);
  const list = usePaged((p) => api("GET", "/api/notifier/webhooks", null, p), [], 100);
  useEffect(() => {  // the event catalogue, as the API documents it (the subscription's `events` enum)
    api("GET", "/openapi.json").then((doc) => {
      const schema = doc.paths["/api/notifier/webhooks"].post.requestBody.content["application/json"].schema;
      setCatalogue(schema.properties.events.items.enum);
    }).catch(() => setCatalogue([]));
  }, []);
  const flip = async (r) => { await api("PATCH", `/api/notifier/webhooks/${r.id}`, { active: !r.active }); list.reload(); };
  const columns = [
    { label: t("ntf.hook.url"), render: (r) => html`<code class="ntf-url">${r.url}</code>` },
    { label: t("ntf.hook.events"), render: (r) => r.events.map((e) => html`<code class="ntf-ev">${e}</code> `) },
    { label: t("ntf.hook.active"), render: (r) => (r.active ? t("ntf.yes") : t("ntf.no")) },
    { label: t("ntf.hook.description"), render: (r) => r.description || "—" },
    { label: "", render: (r) => html`<span class="row-actions">
      ${can(`vssd.notifier.webhooks.${r.id}.update`) ? html`<${Button} kind="small" action=${() => flip(r)}>${r.active ? t("ntf.hook.pause") : t("ntf.hook.resume")}</${Button}>` : null}
      ${can(`vssd.notifier.webhooks.${r.id}.delete`) ? html`<${Button} kind="small danger" action=${async () => setDeleting(r)} testid="ntf-hook-delete">${t("ntf.hook.delete")}</${Button}>` : null}</span>` },
  ];
  return html`<section class="card" data-testid="ntf-hooks">
    <h3>${t("ntf.hooks")}</h3>
    <div class="toolbar"><span class="count">${list.total}</span>
      ${can("vssd.notifier.webhooks.create") ? html`<button class="btn primary" onClick=${() => setAdding(true)} data-testid="ntf-hook-new">+ ${t("ntf.hook.new")}</button>` : null}</div>
    <${ErrorNote} error=${list.error} />
    <${Table} testid="ntf-hooks-table" columns=${columns} rows=${list.rows} />
    ${adding ? html`<${HookForm} catalogue=${catalogue} onClose=${() => setAdding(false)} onSaved=${list.reload} />` : null}
    ${deleting ? html`<${Confirm} title=${t("ntf.hook.delete")} text=${t("ntf.hook.deleteQ", { url: deleting.url })} label=${t("ntf.hook.delete")}
      action=${async () => { await api("DELETE", `/api/notifier/webhooks/${deleting.id}`); list.reload(); }} onClose=${() => setDeleting(null)} />` : null}
  </section>`;
}

export default function NotifierPage() {
  const [version, setVersion] = useState(0);
  const bump = () => setVersion((n) => n + 1);
  useEffect(() => on("notification", bump), []);  // a notification for this user: its delivery is in the history
  return html`<div class="page notifier" data-testid="notifier-page">
    ${can("vssd.notifier.create") ? html`<${SendForm} onSent=${bump} />` : null}
    <${History} version=${version} />
    ${can("vssd.notifier.webhooks.read") ? html`<${Hooks} />` : null}
  </div>`;
}
