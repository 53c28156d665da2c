// Admin · Users: the list (GET /api/users, filter by role, paged), create / edit (POST /api/users,
// PATCH /api/users/{id}: username, name, e-mail, role, extension, active, a new password), deactivate and delete
// (DELETE /api/users/{id}) behind a confirmation. Checks mirror the API's: username 3–50 characters, a valid e-mail,
// a password of at least 6, an extension of 3–5 digits (optional: an operator without one cannot go online).
import { useEffect, useState } from "../../../vendor/preact-htm.mjs";
import { api, can } from "../../api.js";
import { extend, fmtDateTime, t } from "../../i18n.js";
import { toast } from "../../store.js";
import { Button, ErrorNote, Field, html, Modal, Pager, Table, usePaged } from "../../ui.js";
import { Confirm, FormButtons, FormNote, useForm } from "./form.js";

extend({
  ru: {
    "admin.users.new": "Новый пользователь", "admin.users.edit": "Пользователь {name}", "admin.users.username": "Логин",
    "admin.users.name": "Имя", "admin.users.email": "E-mail", "admin.users.role": "Роль", "admin.users.extension": "Добавочный",
    "admin.users.active": "Активен", "admin.users.password": "Пароль", "admin.users.newPassword": "Новый пароль",
    "admin.users.keepPassword": "Оставьте пустым, чтобы не менять", "admin.users.created": "Создан",
    "admin.users.lastLogin": "Последний вход", "admin.users.allRoles": "Все роли", "admin.users.deactivate": "Отключить",
    "admin.users.activate": "Включить", "admin.users.deleteQ": "Удалить пользователя {name}? Это нельзя отменить.",
    "admin.users.saved": "Пользователь сохранён", "admin.users.deleted": "Пользователь удалён",
    "admin.users.extHint": "3–5 цифр; без него оператор не выйдет на линию", "admin.users.inactive": "отключён",
    "admin.users.toggled": "Пользователь {name}: {state}",
  },
  en: {
    "admin.users.new": "New user", "admin.users.edit": "User {name}", "admin.users.username": "Username",
    "admin.users.name": "Name", "admin.users.email": "E-mail", "admin.users.role": "Role", "admin.users.extension": "Extension",
    "admin.users.active": "Active", "admin.users.password": "Password", "admin.users.newPassword": "New password",
    "admin.users.keepPassword": "Leave empty to keep the current one", "admin.users.created": "Created",
    "admin.users.lastLogin": "Last login", "admin.users.allRoles": "All roles", "admin.users.deactivate": "Deactivate",
    "admin.users.activate": "Activate", "admin.users.deleteQ": "Delete user {name}? This cannot be undone.",
    "admin.users.saved": "User saved", "admin.users.deleted": "User deleted",
    "admin.users.extHint": "3–5 digits; an operator without one cannot go online", "admin.users.inactive": "inactive",
    "admin.users.toggled": "User {name}: {state}",
  },
});

const BUILTIN = ["admin", "manager", "supervisor", "operator", "seller"];
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

// The API's rules (vssd/api/users/routes.py `validate`), so most mistakes never leave the browser.
function check(v, creating) {
  const out = {};
  const len = (s) => String(s || "").trim().length;
  if (creating || v.username !== undefined) if (len(v.username) < 3 || len(v.username) > 50) out.username = t("admin.v.length", { min: 3, max: 50 });
  if (creating && !len(v.email)) out.email = t("admin.v.required");
  else if (len(v.email) && !EMAIL.test(v.email.trim())) out.email = t("admin.v.email");
  if (creating && !v.password) out.password = t("admin.v.required");
  else if (v.password && v.password.length < 6) out.password = t("admin.v.minChars", { min: 6 });
  if (len(v.name) > 200) out.name = t("admin.v.length", { min: 0, max: 200 });
  if (!v.role) out.role = t("admin.v.required");
  if (len(v.extension) && !/^[0-9]{3,5}$/.test(v.extension.trim())) out.extension = t("admin.v.digits", { min: 3, max: 5 });
  return out;
}

function body(v, creating) {
  const out = { username: v.username.trim(), name: v.name.trim(), email: v.email.trim() || null, role: v.role,
    extension: v.extension.trim() || null, is_active: v.is_active };
  if (v.password) out.password = v.password;
  if (!creating && out.email === null) delete out.email;
  return out;
}

function UserForm({ user, roles, onClose, onSaved }) {
  const creating = !user;
  const form = useForm({ username: user?.username || "", name: user?.name || "", email: user?.email || "",
    password: "", role: user?.role || "operator", extension: user?.extension || "", is_active: user ? user.is_active : true },
  (v) => check(v, creating));
  const { values: v, input, errors } = form;
  const save = async () => {
    const ok = await form.submit((vals) => creating ? api("POST", "/api/users", body(vals, true))
      : api("PATCH", `/api/users/${user.id}`, body(vals, false)));
    if (ok) { toast(t("admin.users.saved")); onSaved(); onClose(); }
  };
  return html`<${Modal} title=${creating ? t("admin.users.new") : t("admin.users.edit", { name: user.username })} onClose=${onClose}>
    <form class="form" data-testid="user-form" onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <${Field} label=${t("admin.users.username")} name="username" error=${errors.username}>
        <input name="username" autocomplete="off" value=${v.username} onInput=${input("username")} /></${Field}>
      <${Field} label=${t("admin.users.name")} name="name" error=${errors.name}><input name="name" value=${v.name} onInput=${input("name")} /></${Field}>
      <${Field} label=${t("admin.users.email")} name="email" error=${errors.email}><input name="email" type="email" value=${v.email} onInput=${input("email")} /></${Field}>
      <${Field} label=${creating ? t("admin.users.password") : t("admin.users.newPassword")} name="password" error=${errors.password}
        hint=${creating ? t("admin.v.minChars", { min: 6 }) : t("admin.users.keepPassword")}>
        <input name="password" type="password" autocomplete="new-password" value=${v.password} onInput=${input("password")} /></${Field}>
      <div class="form-row">
        <${Field} label=${t("admin.users.role")} name="role" error=${errors.role}>
          <select name="role" value=${v.role} onChange=${input("role")}>${roles.map((r) => html`<option value=${r}>${r}</option>`)}</select></${Field}>
        <${Field} label=${t("admin.users.extension")} name="extension" error=${errors.extension} hint=${t("admin.users.extHint")}>
          <input name="extension" inputmode="numeric" value=${v.extension} onInput=${input("extension")} /></${Field}>
      </div>
      <label class="check"><input type="checkbox" name="is_active" checked=${v.is_active} onChange=${input("is_active")} /> ${t("admin.users.active")}</label>
      <${FormNote} errors=${errors} />
      <${FormButtons} action=${save} onClose=${onClose} />
    </form>
  </${Modal}>`;
}

function useRoleNames() {
  const [names, setNames] = useState(BUILTIN);
  useEffect(() => {
    if (can("vssd.roles.read")) api("GET", "/api/roles", null, { limit: 500 }).then((rs) => setNames(rs.map((r) => r.name))).catch(() => {});
  }, []);
  return names;
}

export default function Users() {
  const [role, setRole] = useState("");
  const [editing, setEditing] = useState(null);  // null, "new" or a user
  const [deleting, setDeleting] = useState(null);
  const roles = useRoleNames();
  const list = usePaged((p) => api("GET", "/api/users", null, { ...p, role }), [role], 50);
  const toggle = async (u) => {
    await api("PATCH", `/api/users/${u.id}`, { is_active: !u.is_active });
    toast(t("admin.users.toggled", { name: u.username, state: u.is_active ? t("admin.users.inactive") : t("admin.users.active") }));
    list.reload();
  };
  const actions = (u) => html`<span class="row-actions" onClick=${(e) => e.stopPropagation()}>
    ${can("vssd.users.update") ? html`<${Button} kind="small" action=${() => toggle(u)} testid="user-toggle">${u.is_active ? t("admin.users.deactivate") : t("admin.users.activate")}</${Button}>` : null}
    ${can("vssd.users.delete") ? html`<${Button} kind="small danger" action=${async () => setDeleting(u)} testid="user-delete">${t("admin.delete")}</${Button}>` : null}
  </span>`;
  const columns = [
    { label: t("admin.users.username"), render: (u) => html`<b>${u.username}</b>` },
    { label: t("admin.users.name"), render: (u) => u.name || "—" }, { label: t("admin.users.email"), render: (u) => u.email || "—" },
    { label: t("admin.users.role"), render: (u) => html`<span class="tag">${u.role}</span>` },
    { label: t("admin.users.extension"), render: (u) => u.extension || "—" },
    { label: t("admin.users.active"), render: (u) => u.is_active ? t("admin.yes") : html`<span class="muted">${t("admin.users.inactive")}</span>` },
    { label: t("admin.users.lastLogin"), render: (u) => fmtDateTime(u.last_login_at) },
    { label: "", render: actions },
  ];
  return html`<div data-testid="admin-users">
    <div class="toolbar">
      <select value=${role} onChange=${(e) => setRole(e.target.value)} data-testid="users-role"><option value="">${t("admin.users.allRoles")}</option>${roles.map((r) => html`<option value=${r}>${r}</option>`)}</select>
      <span class="count">${list.total}</span>
      ${can("vssd.users.create") ? html`<button class="btn primary" onClick=${() => setEditing("new")} data-testid="user-new">+ ${t("admin.users.new")}</button>` : null}
    </div>
    <${ErrorNote} error=${list.error} />
    <${Table} testid="users-table" columns=${columns} rows=${list.rows} onRow=${can("vssd.users.update") ? (u) => setEditing(u) : null} />
    <${Pager} offset=${list.offset} limit=${list.limit} total=${list.total} onPage=${list.setOffset} />
    ${editing ? html`<${UserForm} user=${editing === "new" ? null : editing} roles=${roles} onClose=${() => setEditing(null)} onSaved=${list.reload} />` : null}
    ${deleting ? html`<${Confirm} title=${t("admin.delete")} text=${t("admin.users.deleteQ", { name: deleting.username })} onClose=${() => setDeleting(null)}
      action=${async () => { await api("DELETE", `/api/users/${deleting.id}`); toast(t("admin.users.deleted")); list.reload(); }} />` : null}
  </div>`;
}
