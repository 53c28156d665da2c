// Admin · Settings: the system info (GET /api/admin/system/info) and the system settings (GET|PUT
// /api/admin/settings, the Smart Call Center API's SystemSettings) with the Asterisk connection test (POST
// /api/admin/settings/asterisk/test). The AMI password is never shown: the field stays empty (empty = keep the
// stored one), a box clears it. Wrap-up time and the API rate limit apply at once, the rest is stored.
import { useEffect, useState } from "../../../vendor/preact-htm.mjs";
import { api, can } from "../../api.js";
import { extend, fmtNum, t } from "../../i18n.js";
import { toast } from "../../store.js";
import { Button, ErrorNote, Field, html } from "../../ui.js";
import { FormNote, isInt, problemsOf, useForm } from "./form.js";

extend({
  ru: {
    "admin.set.info": "Система", "admin.set.users": "Пользователи", "admin.set.operators": "Операторы", "admin.set.callsToday": "Звонков сегодня",
    "admin.set.asterisk": "Asterisk (AMI)", "admin.set.database": "База данных", "admin.set.uptime": "Время работы",
    "admin.set.connected": "подключён", "admin.set.disconnected": "нет связи", "admin.set.refresh": "Обновить",
    "admin.set.general": "Звонки и уведомления", "admin.set.live": "Действует сразу", "admin.set.stored": "Сохраняется",
    "admin.set.call_recording": "Запись разговоров", "admin.set.callback_enabled": "Обратный звонок", "admin.set.sms_notifications": "SMS-уведомления",
    "admin.set.email_notifications": "E-mail-уведомления", "admin.set.auto_answer_delay": "Задержка автоответа, с",
    "admin.set.max_call_duration": "Макс. длительность звонка, с", "admin.set.queue_timeout": "Тайм-аут очереди, с",
    "admin.set.wrapup_time": "Постобработка оператора, с", "admin.set.api_rate_limit_per_minute": "Лимит запросов API в минуту",
    "admin.set.ami": "Подключение к Asterisk", "admin.set.host": "Хост", "admin.set.port": "Порт", "admin.set.username": "Пользователь AMI",
    "admin.set.password": "Пароль AMI", "admin.set.passwordSet": "Пароль сохранён (не показывается); пустое поле — оставить",
    "admin.set.passwordNone": "Пароль не задан", "admin.set.clearPassword": "Удалить сохранённый пароль", "admin.set.protocol": "Протокол",
    "admin.set.timeout": "Тайм-аут, с", "admin.set.enabled": "Включено", "admin.set.test": "Проверить подключение",
    "admin.set.testHint": "Проверка подключается только к loopback и к хостам из конфигурации (ami.host, ami.test_hosts)",
    "admin.set.save": "Сохранить настройки", "admin.set.saved": "Настройки сохранены", "admin.set.updated": "Изменено {at}",
    "admin.set.v.host": "Имя хоста или IP-адрес", "admin.set.v.number": "Число от {min} до {max}",
    "admin.set.result.connected": "Подключено", "admin.set.result.refused": "Соединение отклонено", "admin.set.result.timeout": "Нет ответа (тайм-аут)",
    "admin.set.result.auth_failed": "Неверный логин или пароль", "admin.set.result.not_ami": "Это не порт AMI", "admin.set.result.unreachable": "Хост недоступен",
    "admin.err.HOST_NOT_ALLOWED": "Этот хост не разрешён: только loopback и хосты из конфигурации",
  },
  en: {
    "admin.set.info": "System", "admin.set.users": "Users", "admin.set.operators": "Operators", "admin.set.callsToday": "Calls today",
    "admin.set.asterisk": "Asterisk (AMI)", "admin.set.database": "Database", "admin.set.uptime": "Uptime",
    "admin.set.connected": "connected", "admin.set.disconnected": "disconnected", "admin.set.refresh": "Refresh",
    "admin.set.general": "Calls and notifications", "admin.set.live": "Applies at once", "admin.set.stored": "Stored",
    "admin.set.call_recording": "Call recording", "admin.set.callback_enabled": "Callback", "admin.set.sms_notifications": "SMS notifications",
    "admin.set.email_notifications": "E-mail notifications", "admin.set.auto_answer_delay": "Auto-answer delay, s",
    "admin.set.max_call_duration": "Max call duration, s", "admin.set.queue_timeout": "Queue timeout, s",
    "admin.set.wrapup_time": "Operator wrap-up, s", "admin.set.api_rate_limit_per_minute": "API requests per minute",
    "admin.set.ami": "Asterisk connection", "admin.set.host": "Host", "admin.set.port": "Port", "admin.set.username": "AMI user",
    "admin.set.password": "AMI password", "admin.set.passwordSet": "A password is stored (never shown); leave empty to keep it",
    "admin.set.passwordNone": "No password set", "admin.set.clearPassword": "Remove the stored password", "admin.set.protocol": "Protocol",
    "admin.set.timeout": "Timeout, s", "admin.set.enabled": "Enabled", "admin.set.test": "Test the connection",
    "admin.set.testHint": "The test connects only to loopback and to the configured hosts (ami.host, ami.test_hosts)",
    "admin.set.save": "Save settings", "admin.set.saved": "Settings saved", "admin.set.updated": "Changed {at}",
    "admin.set.v.host": "A host name or an IP address", "admin.set.v.number": "A number from {min} to {max}",
    "admin.set.result.connected": "Connected", "admin.set.result.refused": "Connection refused", "admin.set.result.timeout": "No answer (timeout)",
    "admin.set.result.auth_failed": "Wrong user or password", "admin.set.result.not_ami": "Not an AMI port", "admin.set.result.unreachable": "Host unreachable",
    "admin.err.HOST_NOT_ALLOWED": "This host is not allowed: loopback and the configured hosts only",
  },
});

const FLAGS = ["call_recording", "callback_enabled", "sms_notifications", "email_notifications"];
// name: [min, max, whole number?, applies at once?] — the API's bounds (vssd/api/settings/model.py).
const NUMBERS = {
  wrapup_time: [0, 600, false, true], api_rate_limit_per_minute: [1, 100000, true, true],
  auto_answer_delay: [0, 60, true, false], max_call_duration: [10, 86400, true, false], queue_timeout: [5, 3600, true, false],
};
const AMI = { "asterisk_config.port": [1, 65535, true], "asterisk_config.timeout": [0.5, 60, false] };
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.:_-]*[A-Za-z0-9])?$|^[0-9a-fA-F:.]+$/;

const numberProblem = (value, [min, max, whole]) => {
  const n = Number(String(value).trim());
  if (String(value).trim() === "" || !Number.isFinite(n) || n < min || n > max || (whole && !isInt(value)))
    return whole ? t("admin.v.range", { min, max }) : t("admin.set.v.number", { min, max });
  return null;
};

function check(v) {
  const out = {};
  for (const [name, spec] of Object.entries({ ...NUMBERS, ...AMI })) { const p = numberProblem(v[name], spec); if (p) out[name] = p; }
  if (!HOST.test(v["asterisk_config.host"].trim())) out["asterisk_config.host"] = t("admin.set.v.host");
  if (v["asterisk_config.username"].length > 64) out["asterisk_config.username"] = t("admin.v.length", { min: 0, max: 64 });
  return out;
}

const flatten = (s) => ({
  ...Object.fromEntries(FLAGS.map((k) => [k, !!s[k]])), ...Object.fromEntries(Object.keys(NUMBERS).map((k) => [k, String(s[k])])),
  ...Object.fromEntries(["host", "port", "username", "timeout"].map((k) => [`asterisk_config.${k}`, String(s.asterisk_config[k] ?? "")])),
  "asterisk_config.enabled": !!s.asterisk_config.enabled, "asterisk_config.password": "", clear_password: false,
});

function body(v) {
  const asterisk = { host: v["asterisk_config.host"].trim(), port: Number(v["asterisk_config.port"]), username: v["asterisk_config.username"],
    protocol: "AMI", timeout: Number(v["asterisk_config.timeout"]), enabled: v["asterisk_config.enabled"] };
  if (v.clear_password) asterisk.password = "";
  else if (v["asterisk_config.password"]) asterisk.password = v["asterisk_config.password"];
  return { ...Object.fromEntries(FLAGS.map((k) => [k, v[k]])), ...Object.fromEntries(Object.keys(NUMBERS).map((k) => [k, Number(v[k])])), asterisk_config: asterisk };
}

function Info({ version }) {
  const [info, setInfo] = useState(null);
  const [error, setError] = useState(null);
  const load = async () => { try { setInfo(await api("GET", "/api/admin/system/info")); setError(null); } catch (err) { setError(err); } };
  useEffect(() => { load(); }, [version]);
  const state = (ok) => html`<span class="badge ${ok ? "ok" : "bad"}">${ok ? t("admin.set.connected") : t("admin.set.disconnected")}</span>`;
  return html`<section data-testid="system-info">
    <div class="toolbar"><h3>${t("admin.set.info")}</h3><${Button} kind="small" action=${load} testid="info-refresh">${t("admin.set.refresh")}</${Button}></div>
    <${ErrorNote} error=${error} />
    ${info ? html`<div class="cards">
      <div class="card"><div class="label">${t("admin.set.users")}</div><div class="value" data-testid="info-users">${fmtNum(info.users)}</div></div>
      <div class="card"><div class="label">${t("admin.set.operators")}</div><div class="value">${fmtNum(info.operators)}</div></div>
      <div class="card"><div class="label">${t("admin.set.callsToday")}</div><div class="value">${fmtNum(info.calls_today)}</div></div>
      <div class="card"><div class="label">${t("admin.set.asterisk")}</div><div class="value" data-testid="info-asterisk">${state(info.asterisk_connected)}</div></div>
      <div class="card"><div class="label">${t("admin.set.database")}</div><div class="value">${state(info.database_status === "connected")}</div></div>
      <div class="card"><div class="label">${t("admin.set.uptime")}</div><div class="value" data-testid="info-uptime">${info.uptime}</div></div>
    </div>` : null}
  </section>`;
}

function TestResult({ result }) {
  if (!result) return null;
  const d = result.data || {};
  const facts = d.connection_details || d.details || {};
  const what = facts.result;
  return html`<div class="note ${result.success ? "ok" : "error"}" role="status" data-testid="ami-test-result">
    <b>${what ? t(`admin.set.result.${what}`) : result.message}</b>
    ${what ? html` — <code>${facts.host}:${facts.port}</code>${facts.banner ? html` · ${facts.banner}` : null}${facts.elapsed_ms != null ? html` · ${fmtNum(facts.elapsed_ms)} ms` : null}` : null}
    ${!result.success && d.details?.possible_causes?.length ? html`<ul>${d.details.possible_causes.map((c) => html`<li>${c}</li>`)}</ul>` : null}
  </div>`;
}

function Num({ form, name, label }) {
  const spec = NUMBERS[name];
  return html`<${Field} label=${label || t(`admin.set.${name}`)} name=${name} error=${form.errors[name]}
    hint=${spec ? (spec[3] ? t("admin.set.live") : t("admin.set.stored")) : null}>
    <input name=${name} inputmode="decimal" value=${form.values[name]} onInput=${form.input(name)} disabled=${!can("vssd.admin.settings.update")} /></${Field}>`;
}

function SettingsForm({ settings, onSaved }) {
  const form = useForm(flatten(settings), check);
  const [result, setResult] = useState(null);
  const { values: v, input, errors } = form;
  const editable = can("vssd.admin.settings.update");
  const save = async () => {
    const ok = await form.submit(async (vals) => { onSaved(await api("PUT", "/api/admin/settings", body(vals))); });
    if (ok) toast(t("admin.set.saved"));
  };
  const test = async () => {
    setResult(null);
    const local = check(v);
    const amiProblems = Object.keys(local).filter((k) => k.startsWith("asterisk_config."));
    if (amiProblems.length) { form.submit(async () => {}); return; }
    const a = body(v).asterisk_config;
    const sent = { host: a.host, port: a.port, username: a.username, protocol: "AMI", timeout: Math.min(a.timeout, 30) };
    if (v["asterisk_config.password"]) sent.password = v["asterisk_config.password"];
    try { setResult(await api("POST", "/api/admin/settings/asterisk/test", sent)); }
    catch (err) { const p = problemsOf(err); setResult({ success: false, message: p["host"] ? t("admin.err.HOST_NOT_ALLOWED") : (p._ || err.message), data: {} }); }
  };
  const flag = (name, label) => html`<label class="check"><input type="checkbox" name=${name} checked=${v[name]} onChange=${input(name)} disabled=${!editable} />${label}</label>`;
  const stored = settings.asterisk_config.password_set;
  return html`<form data-testid="settings-form" onSubmit=${(e) => { e.preventDefault(); save(); }}>
    <div class="panel-grid">
      <section>
        <h3>${t("admin.set.general")}</h3>
        ${FLAGS.map((k) => flag(k, t(`admin.set.${k}`)))}
        <div class="form-row"><${Num} form=${form} name="wrapup_time" /><${Num} form=${form} name="api_rate_limit_per_minute" /></div>
        <div class="form-row"><${Num} form=${form} name="max_call_duration" /><${Num} form=${form} name="queue_timeout" /></div>
        <div class="form-row"><${Num} form=${form} name="auto_answer_delay" /></div>
      </section>
      <section data-testid="ami-settings">
        <h3>${t("admin.set.ami")}</h3>
        <div class="form-row">
          <${Field} label=${t("admin.set.host")} name="asterisk_config.host" error=${errors["asterisk_config.host"]}>
            <input name="asterisk_config.host" value=${v["asterisk_config.host"]} onInput=${input("asterisk_config.host")} disabled=${!editable} /></${Field}>
          <${Num} form=${form} name="asterisk_config.port" label=${t("admin.set.port")} />
        </div>
        <div class="form-row">
          <${Field} label=${t("admin.set.username")} name="asterisk_config.username" error=${errors["asterisk_config.username"]}>
            <input name="asterisk_config.username" autocomplete="off" value=${v["asterisk_config.username"]} onInput=${input("asterisk_config.username")} disabled=${!editable} /></${Field}>
          <${Field} label=${t("admin.set.password")} name="asterisk_config.password" error=${errors["asterisk_config.password"]}
            hint=${stored ? t("admin.set.passwordSet") : t("admin.set.passwordNone")}>
            <input type="password" name="asterisk_config.password" autocomplete="new-password" value=${v["asterisk_config.password"]}
              onInput=${input("asterisk_config.password")} disabled=${!editable || v.clear_password} placeholder=${stored ? "••••••••" : ""} /></${Field}>
        </div>
        ${stored ? flag("clear_password", t("admin.set.clearPassword")) : null}
        <div class="form-row">
          <${Field} label=${t("admin.set.protocol")} name="protocol"><input name="protocol" value="AMI" disabled /></${Field}>
          <${Num} form=${form} name="asterisk_config.timeout" label=${t("admin.set.timeout")} />
        </div>
        ${flag("asterisk_config.enabled", t("admin.set.enabled"))}
        <div class="actions"><${Button} action=${test} testid="ami-test">${t("admin.set.test")}</${Button}></div>
        <div class="field-hint">${t("admin.set.testHint")}</div>
        <${TestResult} result=${result} />
      </section>
    </div>
    <${FormNote} errors=${errors} />
    ${editable ? html`<div class="actions"><${Button} kind="primary" action=${save} testid="settings-save">${t("admin.set.save")}</${Button}></div>` : null}
  </form>`;
}

export default function Settings() {
  const [settings, setSettings] = useState(null);
  const [error, setError] = useState(null);
  const [version, setVersion] = useState(0);
  useEffect(() => { api("GET", "/api/admin/settings").then(setSettings, setError); }, []);
  const saved = (s) => { setSettings(s); setVersion((n) => n + 1); };
  return html`<div data-testid="admin-settings">
    <${Info} version=${version} />
    <${ErrorNote} error=${error} />
    ${settings ? html`<${SettingsForm} key=${settings.updated_at || "defaults"} settings=${settings} onSaved=${saved} />` : null}
  </div>`;
}
