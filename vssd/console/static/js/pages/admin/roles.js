// Admin · Roles: the builtin roles and custom roles — create (POST /api/roles: name, description, permissions) and
// edit (POST /api/roles/{id}). An admin (`vssd.roles.builtin.update`) edits a builtin role's rights too (it is then
// marked changed, and kept over restarts) and resets it to the shipped rights (POST /api/roles/{id}/reset); the
// admin role always keeps full rights (shown, not edited). Permissions are the API's
// dotted strings, one a line (aliases such as `calls:read` are accepted and stored canonical); a helper grid of
// the known areas × verbs adds or removes `vssd.<area>.<verb>` with its per-object form `vssd.<area>.*.<verb>`.
import { useState } from "../../../vendor/preact-htm.mjs";
import { api, can } from "../../api.js";
import { extend, t } from "../../i18n.js";
import { toast } from "../../store.js";
import { Button, ErrorNote, Field, html, Modal, Table, usePaged } from "../../ui.js";
import { Confirm, FormButtons, FormNote, useForm } from "./form.js";

extend({
  ru: {
    "admin.roles.new": "Новая роль", "admin.roles.edit": "Роль {name}", "admin.roles.name": "Название",
    "admin.roles.description": "Описание", "admin.roles.permissions": "Права", "admin.roles.builtin": "встроенная",
    "admin.roles.custom": "своя", "admin.roles.kind": "Вид", "admin.roles.fixed": "Роль admin всегда сохраняет полные права.",
    "admin.roles.changed": "изменена", "admin.roles.reset": "Вернуть права по умолчанию", "admin.roles.resetQ": "Вернуть роли {name} права по умолчанию?",
    "admin.roles.resetDone": "Права роли возвращены", "admin.roles.builtinNote": "Встроенная роль: изменённые права сохраняются при перезапуске; их можно вернуть к поставляемым.",
    "admin.roles.permsHint": "По одному на строку: vssd.calls.read, calls:read, !vssd.admin.# (запрет)…",
    "admin.roles.helper": "Области и действия", "admin.roles.area": "Область", "admin.roles.saved": "Роль сохранена",
    "admin.roles.nameHint": "2–50 символов: a-z, 0-9, _ и -, с буквы", "admin.roles.count": "{n} прав",
    "admin.roles.about.admin": "Полный доступ", "admin.roles.about.manager": "Управление работой колл-центра",
    "admin.roles.about.supervisor": "Мониторинг, отчёты и журналы (только чтение)", "admin.roles.about.operator": "Звонки, слоты, CRM, Guacamole",
    "admin.roles.about.seller": "Лиды и заметки CRM, история звонков (только чтение)",
    "admin.verb.read": "чтение", "admin.verb.create": "создание", "admin.verb.update": "изменение", "admin.verb.delete": "удаление", "admin.verb.all": "всё",
  },
  en: {
    "admin.roles.new": "New role", "admin.roles.edit": "Role {name}", "admin.roles.name": "Name",
    "admin.roles.description": "Description", "admin.roles.permissions": "Permissions", "admin.roles.builtin": "builtin",
    "admin.roles.custom": "custom", "admin.roles.kind": "Kind", "admin.roles.fixed": "The admin role always keeps full rights.",
    "admin.roles.changed": "changed", "admin.roles.reset": "Reset to the shipped rights", "admin.roles.resetQ": "Give role {name} its shipped rights back?",
    "admin.roles.resetDone": "The role's rights were reset", "admin.roles.builtinNote": "A builtin role: changed rights are kept across restarts and can be reset to the shipped ones.",
    "admin.roles.permsHint": "One a line: vssd.calls.read, calls:read, !vssd.admin.# (a deny)…",
    "admin.roles.helper": "Areas and actions", "admin.roles.area": "Area", "admin.roles.saved": "Role saved",
    "admin.roles.nameHint": "2–50 of a-z, 0-9, _ and -, starting with a letter", "admin.roles.count": "{n} permissions",
    "admin.roles.about.admin": "Full access", "admin.roles.about.manager": "Operations management",
    "admin.roles.about.supervisor": "Monitoring, reports and logs (read-only)", "admin.roles.about.operator": "Calls, slots, CRM, Guacamole",
    "admin.roles.about.seller": "Leads and CRM notes, call history read-only",
    "admin.verb.read": "read", "admin.verb.create": "create", "admin.verb.update": "update", "admin.verb.delete": "delete", "admin.verb.all": "all",
  },
});

// The areas the API's routes check (vssd/api/rbac.py and each route's `needs`).
export const AREAS = ["slots", "calls", "campaigns", "leads", "crm", "operators", "queues", "dashboard", "reports",
  "trunks", "cdr", "pbx", "monitor", "users", "roles", "audit", "admin"];
const VERBS = ["read", "create", "update", "delete"];

const lines = (text) => text.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
const grants = (area, verb) => verb === "all" ? [`vssd.${area}.#`] : [`vssd.${area}.${verb}`, `vssd.${area}.*.${verb}`];

function Helper({ perms, setPerms }) {
  const has = (area, verb) => grants(area, verb).every((g) => perms.includes(g));
  const flip = (area, verb) => {
    const gs = grants(area, verb);
    setPerms(has(area, verb) ? perms.filter((p) => !gs.includes(p)) : [...perms, ...gs.filter((g) => !perms.includes(g))]);
  };
  return html`<details class="perm-helper" open><summary>${t("admin.roles.helper")}</summary>
    <table class="grid-table compact" data-testid="perm-helper">
      <thead><tr><th>${t("admin.roles.area")}</th>${[...VERBS, "all"].map((v) => html`<th>${t(`admin.verb.${v}`)}</th>`)}</tr></thead>
      <tbody>${AREAS.map((a) => html`<tr><td><code>${a}</code></td>${[...VERBS, "all"].map((v) => html`<td>
        <input type="checkbox" data-perm=${`${a}.${v}`} checked=${has(a, v)} onChange=${() => flip(a, v)} /></td>`)}</tr>`)}</tbody>
    </table></details>`;
}

function check(v, creating) {
  const out = {};
  if (creating && !/^[a-z][a-z0-9_-]{1,49}$/.test(v.name)) out.name = t("admin.roles.nameHint");
  if (v.description.length > 500) out.description = t("admin.v.length", { min: 0, max: 500 });
  if (creating && !lines(v.permissions).length) out.permissions = t("admin.v.required");
  return out;
}

function RoleForm({ role, onClose, onSaved, onReset }) {
  const creating = !role;
  const form = useForm({ name: role?.name || "", description: role?.description || "", permissions: (role?.permissions || []).join("\n") },
    (v) => check(v, creating));
  const { values: v, input, errors } = form;
  const perms = lines(v.permissions);
  const save = async () => {
    const ok = await form.submit((vals) => {
      const sent = { description: vals.description, permissions: lines(vals.permissions) };
      return creating ? api("POST", "/api/roles", { name: vals.name, ...sent }) : api("POST", `/api/roles/${encodeURIComponent(role.id)}`, sent);
    });
    if (ok) { toast(t("admin.roles.saved")); onSaved(); onClose(); }
  };
  return html`<${Modal} wide title=${creating ? t("admin.roles.new") : t("admin.roles.edit", { name: role.name })} onClose=${onClose}>
    <div class="panel-grid" data-testid="role-form">
      <div>
        ${creating ? html`<${Field} label=${t("admin.roles.name")} name="name" error=${errors.name} hint=${t("admin.roles.nameHint")}>
          <input name="name" autocomplete="off" value=${v.name} onInput=${input("name")} /></${Field}>` : null}
        <${Field} label=${t("admin.roles.description")} name="description" error=${errors.description}>
          <input name="description" value=${v.description} onInput=${input("description")} /></${Field}>
        <${Field} label=${t("admin.roles.permissions")} name="permissions" error=${errors.permissions} hint=${t("admin.roles.permsHint")}>
          <textarea name="permissions" rows="12" value=${v.permissions} onInput=${input("permissions")}></textarea></${Field}>
        ${role?.builtin ? html`<div class="note">${t("admin.roles.builtinNote")}</div>` : null}
        <${FormNote} errors=${errors} />
        <${FormButtons} action=${save} onClose=${onClose} />
        ${role?.builtin && role.customized ? html`<div class="actions">
          <${Button} kind="danger" action=${async () => onReset(role)} testid="role-reset">${t("admin.roles.reset")}</${Button}></div>` : null}
      </div>
      <${Helper} perms=${perms} setPerms=${(next) => form.set("permissions", next.join("\n"))} />
    </div>
  </${Modal}>`;
}

// A builtin role's description in the user's language (the store keeps the documents' English words).
function about(role) {
  const key = `admin.roles.about.${role.name}`;
  return role.builtin && t(key) !== key ? t(key) : role.description || "—";
}

function Perms({ list }) {
  return html`<span class="perms">${list.map((p) => html`<code class=${p.startsWith("!") ? "deny" : ""}>${p}</code>`)}</span>`;
}

function BuiltinView({ role, onClose }) {
  return html`<${Modal} title=${t("admin.roles.edit", { name: role.name })} onClose=${onClose}>
    ${role.name === SHIPPED_FULL ? html`<div class="note">${t("admin.roles.fixed")}</div>` : null}<p>${about(role)}</p><${Perms} list=${role.permissions} />
  </${Modal}>`;
}

const SHIPPED_FULL = "admin";  // the role that always keeps full rights (vssd/api/rbac.py FULL_RIGHTS_ROLE)

export default function Roles() {
  const [open, setOpen] = useState(null);  // null, "new" or a role
  const [resetting, setResetting] = useState(null);
  const list = usePaged((p) => api("GET", "/api/roles", null, p), [], 500);
  const columns = [
    { label: t("admin.roles.name"), render: (r) => html`<b>${r.name}</b>` },
    { label: t("admin.roles.kind"), render: (r) => html`<span class="tag ${r.builtin ? "" : "custom"}">${r.builtin ? t("admin.roles.builtin") : t("admin.roles.custom")}</span>
      ${r.customized ? html` <span class="tag custom" data-testid="role-changed">${t("admin.roles.changed")}</span>` : null}` },
    { label: t("admin.roles.description"), render: about },
    { label: t("admin.roles.permissions"), render: (r) => html`<${Perms} list=${r.permissions} />` },
  ];
  const editable = (r) => r.name !== SHIPPED_FULL && can("vssd.roles.update") && (!r.builtin || can("vssd.roles.builtin.update"));
  const reset = async () => {
    await api("POST", `/api/roles/${encodeURIComponent(resetting.id)}/reset`);
    toast(t("admin.roles.resetDone")); setOpen(null); list.reload();
  };
  return html`<div data-testid="admin-roles">
    <div class="toolbar">
      <span class="count">${list.total}</span>
      ${can("vssd.roles.create") ? html`<button class="btn primary" onClick=${() => setOpen("new")} data-testid="role-new">+ ${t("admin.roles.new")}</button>` : null}
    </div>
    <${ErrorNote} error=${list.error} />
    <${Table} testid="roles-table" rowKey=${(r) => r.name} columns=${columns} rows=${list.rows} onRow=${(r) => setOpen(r)} />
    ${open && (open === "new" || editable(open)) ? html`<${RoleForm} role=${open === "new" ? null : open} onClose=${() => setOpen(null)}
      onSaved=${list.reload} onReset=${setResetting} />` : null}
    ${open && open !== "new" && !editable(open) ? html`<${BuiltinView} role=${open} onClose=${() => setOpen(null)} />` : null}
    ${resetting ? html`<${Confirm} title=${t("admin.roles.reset")} text=${t("admin.roles.resetQ", { name: resetting.name })} label=${t("admin.roles.reset")}
      onClose=${() => setResetting(null)} action=${reset} />` : null}
  </div>`;
}
