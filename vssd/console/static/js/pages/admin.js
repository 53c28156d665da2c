// Admin (`/admin?tab=users|roles|trunks|slots|audit|settings`): users, roles (builtin and custom, with their
// permissions), trunks, slots enrollment, the security audit trail, and the system settings and info. Each tab, and
// each action in it, shows only when the user's permissions allow it
// (the API checks again and audits every change).
import { html } from "../../vendor/preact-htm.mjs";
import { can } from "../api.js";
import { extend, t } from "../i18n.js";
import { navigate } from "../router.js";
import { useStore } from "../store.js";
import Audit from "./admin/audit.js";
import Roles from "./admin/roles.js";
import Settings from "./admin/settings.js";
import Slots from "./admin/slots.js";
import Trunks from "./admin/trunks.js";
import Users from "./admin/users.js";

extend({
  ru: {
    "admin.tab.users": "Пользователи", "admin.tab.roles": "Роли", "admin.tab.trunks": "Транки", "admin.tab.slots": "Подключение слотов", "admin.tab.audit": "Аудит", "admin.tab.settings": "Настройки",
    "admin.delete": "Удалить", "admin.yes": "да", "admin.no": "нет", "admin.edit": "Изменить",
    "admin.v.required": "Обязательное поле", "admin.v.length": "От {min} до {max} символов", "admin.v.minChars": "Не меньше {min} символов",
    "admin.v.email": "Неверный адрес e-mail", "admin.v.digits": "От {min} до {max} цифр", "admin.v.range": "Целое число от {min} до {max}",
    "admin.err.USER_001": "Такой логин уже есть", "admin.err.USER_002": "Такой e-mail уже есть", "admin.err.USER_003": "Этот добавочный уже занят",
    "admin.err.USER_005": "Нельзя удалить, понизить или отключить последнего администратора", "admin.err.ROLE_001": "Роль с таким названием уже есть",
    "admin.err.ROLE_003": "Встроенная роль не меняется", "admin.err.ROLE_004": "Роль admin всегда сохраняет полные права",
    "admin.err.OPERATOR_NO_EXTENSION": "У оператора нет добавочного номера", "admin.err.TRUNK_001": "Транк с таким названием уже есть",
    "admin.err.TRUNK_002": "Тип транка не совпадает с типом слота", "admin.err.SLOT_001": "Этот внутренний номер уже занят",
    "admin.err.SLOT_002": "У этого устройства уже есть слот", "admin.err.SLOT_003": "Такого транка нет",
    "admin.err.SLOT_BUSY": "Слот занят: идёт звонок или другая операция", "admin.err.forbidden": "Недостаточно прав для этого действия",
  },
  en: {
    "admin.tab.users": "Users", "admin.tab.roles": "Roles", "admin.tab.trunks": "Trunks", "admin.tab.slots": "Slots enrollment", "admin.tab.audit": "Audit", "admin.tab.settings": "Settings",
    "admin.delete": "Delete", "admin.yes": "yes", "admin.no": "no", "admin.edit": "Edit",
    "admin.v.required": "Required", "admin.v.length": "{min} to {max} characters", "admin.v.minChars": "At least {min} characters",
    "admin.v.email": "Not a valid e-mail address", "admin.v.digits": "{min} to {max} digits", "admin.v.range": "A whole number from {min} to {max}",
    "admin.err.USER_001": "This username is taken", "admin.err.USER_002": "This e-mail is taken", "admin.err.USER_003": "This extension is taken",
    "admin.err.USER_005": "The last administrator cannot be deleted, demoted or disabled", "admin.err.ROLE_001": "A role with this name exists",
    "admin.err.ROLE_003": "A builtin role cannot be changed", "admin.err.ROLE_004": "The admin role always keeps full rights",
    "admin.err.OPERATOR_NO_EXTENSION": "The operator has no extension", "admin.err.TRUNK_001": "A trunk with this name exists",
    "admin.err.TRUNK_002": "The trunk's type differs from the slot's", "admin.err.SLOT_001": "This internal number is taken",
    "admin.err.SLOT_002": "This device already has a slot", "admin.err.SLOT_003": "No such trunk",
    "admin.err.SLOT_BUSY": "The slot is busy: a call or another operation is under way", "admin.err.forbidden": "You lack the permission for this action",
  },
});

const TABS = [
  { key: "users", perm: "vssd.users.read", Body: Users },
  { key: "roles", perm: "vssd.roles.read", Body: Roles },
  { key: "trunks", perm: "vssd.trunks.read", Body: Trunks },
  { key: "slots", perm: "vssd.slots.read", Body: Slots },
  { key: "audit", perm: "vssd.audit.read", Body: Audit },
  { key: "settings", perm: "vssd.admin.settings.read", Body: Settings },
];

export default function Admin() {
  const search = useStore((s) => s.search);
  useStore((s) => s.lang);
  const tabs = TABS.filter((x) => can(x.perm));
  const wanted = new URLSearchParams(search || "").get("tab");
  const tab = tabs.find((x) => x.key === wanted) || tabs[0];
  if (!tab) return html`<section class="page admin"><div class="note">${t("forbidden")}</div></section>`;
  return html`<section class="page admin">
    <nav class="tabs" role="tablist" data-testid="admin-tabs">
      ${tabs.map((x) => html`<a href=${`/admin?tab=${x.key}`} role="tab" class=${x === tab ? "on" : ""} aria-selected=${x === tab} data-tab=${x.key}
        onClick=${(e) => { e.preventDefault(); navigate(`/admin?tab=${x.key}`); }}>${t(`admin.tab.${x.key}`)}</a>`)}
    </nav>
    <${tab.Body} key=${tab.key} />
  </section>`;
}
