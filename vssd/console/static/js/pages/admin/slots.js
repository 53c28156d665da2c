// Admin · Slots enrollment: every slot with its live state (live.js `slots`, updated by slot.update), enroll on a
// trunk of its type (POST /api/slots/{id}/enroll {trunk_id, operator}), disable (POST /api/slots/{id}/disable),
// add (POST /api/slots) and delete (DELETE /api/slots/{id}) behind a confirmation. The list is re-read through
// REST after a slot is added or deleted (those change the set of slots, which slot.update does not carry).
import { useEffect, useMemo, useState } from "../../../vendor/preact-htm.mjs";
import { api, can } from "../../api.js";
import { extend, t } from "../../i18n.js";
import { resync, slots } from "../../live.js";
import { toast, useStore } from "../../store.js";
import { Button, Field, html, Modal, StateBadge, STATES, Table } from "../../ui.js";
import { Confirm, FormButtons, FormNote, useForm } from "./form.js";

extend({
  ru: {
    "admin.slots.new": "Добавить слот", "admin.slots.enroll": "Подключить", "admin.slots.disable": "Отключить",
    "admin.slots.enrollTitle": "Подключение слота #{id}", "admin.slots.disableQ": "Отключить слот #{id}? Он выйдет из работы (IDLE) до нового подключения.",
    "admin.slots.deleteQ": "Удалить слот #{id}? Текущий звонок будет завершён.", "admin.slots.trunk": "Транк",
    "admin.slots.noTrunk": "— без транка —", "admin.slots.operator": "Оператор", "admin.slots.operatorHint": "Необязательно: логин оператора на слоте",
    "admin.slots.type": "Тип", "admin.slots.number": "Внутренний номер", "admin.slots.numberHint": "3–6 цифр; пусто — следующий свободный",
    "admin.slots.device": "Устройство (serial)", "admin.slots.name": "Название", "admin.slots.model": "Модель",
    "admin.slots.state": "Состояние", "admin.slots.online": "В сети", "admin.slots.enrolled": "Слот #{id} подключается",
    "admin.slots.disabled": "Слот #{id} отключён", "admin.slots.created": "Слот #{id} добавлен", "admin.slots.deleted": "Слот #{id} удалён",
    "admin.slots.noTrunks": "Нет транков типа {type}: создайте транк на вкладке «Транки»", "admin.slots.search": "Слот, номер, устройство…",
  },
  en: {
    "admin.slots.new": "Add a slot", "admin.slots.enroll": "Enroll", "admin.slots.disable": "Disable",
    "admin.slots.enrollTitle": "Enroll slot #{id}", "admin.slots.disableQ": "Disable slot #{id}? It leaves service (IDLE) until enrolled again.",
    "admin.slots.deleteQ": "Delete slot #{id}? A call on it is hung up.", "admin.slots.trunk": "Trunk",
    "admin.slots.noTrunk": "— no trunk —", "admin.slots.operator": "Operator", "admin.slots.operatorHint": "Optional: the operator's login on the slot",
    "admin.slots.type": "Type", "admin.slots.number": "Internal number", "admin.slots.numberHint": "3–6 digits; empty — the next free one",
    "admin.slots.device": "Device (serial)", "admin.slots.name": "Name", "admin.slots.model": "Model",
    "admin.slots.state": "State", "admin.slots.online": "Online", "admin.slots.enrolled": "Slot #{id} is being enrolled",
    "admin.slots.disabled": "Slot #{id} disabled", "admin.slots.created": "Slot #{id} added", "admin.slots.deleted": "Slot #{id} deleted",
    "admin.slots.noTrunks": "No {type} trunks: create one on the Trunks tab", "admin.slots.search": "Slot, number, device…",
  },
});

const TYPES = ["AUTO", "MF", "LS"];

function useTrunks(type) {
  const [trunks, setTrunks] = useState(null);
  useEffect(() => { api("GET", "/api/trunks", null, { type: type ? type.toLowerCase() : "", limit: 1000 }).then(setTrunks).catch(() => setTrunks([])); }, [type]);
  return trunks;
}

function TrunkSelect({ trunks, value, onChange, optional }) {
  return html`<select name="trunk_id" value=${value} onChange=${onChange}>
    ${optional ? html`<option value="">${t("admin.slots.noTrunk")}</option>` : null}
    ${(trunks || []).map((tr) => html`<option value=${String(tr.id)}>${tr.name} (#${tr.id})</option>`)}
  </select>`;
}

function EnrollForm({ slot, onClose }) {
  const trunks = useTrunks(slot.type);
  const form = useForm({ trunk_id: slot.trunk_id ? String(slot.trunk_id) : "", operator: slot.user || "" },
    (v) => (!v.trunk_id ? { trunk_id: t("admin.v.required") } : v.operator.length > 64 ? { operator: t("admin.v.length", { min: 0, max: 64 }) } : {}));
  const { values: v, input, errors } = form;
  // The slot's own trunk when it is one of the list (the demo's slots name trunks that are no rows), else the first.
  useEffect(() => { if (trunks && !trunks.some((tr) => String(tr.id) === v.trunk_id)) form.set("trunk_id", trunks.length ? String(trunks[0].id) : ""); }, [trunks]);
  const save = async () => {
    const ok = await form.submit((vals) => api("POST", `/api/slots/${encodeURIComponent(slot.id)}/enroll`,
      { trunk_id: Number(vals.trunk_id), ...(vals.operator.trim() ? { operator: vals.operator.trim() } : {}) }));
    if (ok) { toast(t("admin.slots.enrolled", { id: slot.id })); onClose(); }
  };
  return html`<${Modal} title=${t("admin.slots.enrollTitle", { id: slot.id })} onClose=${onClose}>
    <form data-testid="enroll-form" onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <${Field} label=${`${t("admin.slots.trunk")} (${slot.type})`} name="trunk_id" error=${errors.trunk_id}>
        <${TrunkSelect} trunks=${trunks} value=${v.trunk_id} onChange=${input("trunk_id")} /></${Field}>
      ${trunks && !trunks.length ? html`<div class="note">${t("admin.slots.noTrunks", { type: slot.type })}</div>` : null}
      <${Field} label=${t("admin.slots.operator")} name="operator" error=${errors.operator} hint=${t("admin.slots.operatorHint")}>
        <input name="operator" value=${v.operator} onInput=${input("operator")} /></${Field}>
      <${FormNote} errors=${errors} />
      <${FormButtons} action=${save} onClose=${onClose} label=${t("admin.slots.enroll")} testid="enroll-save" />
    </form>
  </${Modal}>`;
}

function checkNew(v) {
  const out = {};
  if (!TYPES.includes(v.type)) out.type = t("admin.v.required");
  if (v.internal_sip_number.trim() && !/^[0-9]{3,6}$/.test(v.internal_sip_number.trim())) out.internal_sip_number = t("admin.v.digits", { min: 3, max: 6 });
  for (const [k, n] of [["device_id", 128], ["name", 100], ["device_model", 100]]) if (v[k].length > n) out[k] = t("admin.v.length", { min: 0, max: n });
  return out;
}

function SlotForm({ onClose }) {
  const form = useForm({ type: "AUTO", trunk_id: "", internal_sip_number: "", device_id: "", name: "", device_model: "" }, checkNew);
  const { values: v, input, errors } = form;
  const trunks = useTrunks(v.type);
  const save = async () => {
    let made = null;
    const ok = await form.submit(async (vals) => {
      const sent = { type: vals.type };
      for (const k of ["internal_sip_number", "device_id", "name", "device_model"]) if (vals[k].trim()) sent[k] = vals[k].trim();
      if (vals.trunk_id) sent.trunk_id = Number(vals.trunk_id);
      made = await api("POST", "/api/slots", sent);
    });
    if (ok) { toast(t("admin.slots.created", { id: made.id })); await resync(); onClose(); }
  };
  const text = (name, label, hint) => html`<${Field} label=${label} name=${name} error=${errors[name]} hint=${hint}>
    <input name=${name} autocomplete="off" value=${v[name]} onInput=${input(name)} /></${Field}>`;
  return html`<${Modal} title=${t("admin.slots.new")} onClose=${onClose}>
    <form data-testid="slot-form" onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <div class="form-row">
        <${Field} label=${t("admin.slots.type")} name="type" error=${errors.type}>
          <select name="type" value=${v.type} onChange=${(e) => { form.set("type", e.target.value); form.set("trunk_id", ""); }}>${TYPES.map((x) => html`<option value=${x}>${x}</option>`)}</select></${Field}>
        <${Field} label=${t("admin.slots.trunk")} name="trunk_id" error=${errors.trunk_id}>
          <${TrunkSelect} trunks=${trunks} value=${v.trunk_id} onChange=${input("trunk_id")} optional /></${Field}>
      </div>
      ${text("internal_sip_number", t("admin.slots.number"), t("admin.slots.numberHint"))}
      ${text("device_id", t("admin.slots.device"))}
      <div class="form-row">${text("name", t("admin.slots.name"))}${text("device_model", t("admin.slots.model"))}</div>
      <${FormNote} errors=${errors} />
      <${FormButtons} action=${save} onClose=${onClose} />
    </form>
  </${Modal}>`;
}

export default function Slots() {
  const version = useStore((s) => s.slotsVersion);
  const loaded = useStore((s) => s.slotsLoaded);
  const [filter, setFilter] = useState({ q: "", type: "", state: "" });
  const [dialog, setDialog] = useState(null);  // {kind: "enroll"|"disable"|"delete"|"new", slot}
  const all = useMemo(() => [...slots.values()].sort((a, b) => (Number(a.id) - Number(b.id)) || String(a.id).localeCompare(String(b.id))), [version]);
  const q = filter.q.trim().toLowerCase();
  const rows = all.filter((s) => (!filter.type || s.type === filter.type) && (!filter.state || s.fsm_state === filter.state)
    && (!q || String(s.id) === q || String(s.internal_sip_number || "").includes(q) || String(s.device || "").toLowerCase().includes(q)));
  const close = () => setDialog(null);
  const actions = (s) => {
    const may = can(`vssd.slots.${s.id}.update`);
    return html`<span class="row-actions" data-slot-actions=${s.id}>
      ${may && (s.fsm_state === "IDLE" || s.fsm_state === "FAULT") ? html`<${Button} kind="small primary" action=${async () => setDialog({ kind: "enroll", slot: s })} testid="slot-enroll">${t("admin.slots.enroll")}</${Button}>` : null}
      ${may && s.fsm_state !== "IDLE" ? html`<${Button} kind="small" action=${async () => setDialog({ kind: "disable", slot: s })} testid="slot-disable">${t("admin.slots.disable")}</${Button}>` : null}
      ${can(`vssd.slots.${s.id}.delete`) ? html`<${Button} kind="small danger" action=${async () => setDialog({ kind: "delete", slot: s })} testid="slot-delete">${t("admin.delete")}</${Button}>` : null}
    </span>`;
  };
  const columns = [
    { label: "#", render: (s) => html`<b>${s.id}</b>` }, { label: t("admin.slots.type"), key: "type" },
    { label: t("admin.slots.number"), key: "internal_sip_number" }, { label: t("admin.slots.device"), key: "device" },
    { label: t("admin.slots.trunk"), render: (s) => s.trunk_name || (s.trunk_id === null || s.trunk_id === undefined ? "—" : typeof s.trunk_id === "number" ? `#${s.trunk_id}` : s.trunk_id) },
    { label: t("admin.slots.state"), render: (s) => html`<span data-slot-state=${s.id} data-state=${s.fsm_state}><${StateBadge} state=${s.fsm_state} /></span>` },
    { label: t("admin.slots.online"), render: (s) => s.online ? t("admin.yes") : html`<span class="muted">${t("admin.no")}</span>` },
    { label: t("admin.slots.operator"), render: (s) => s.user || "—" },
    { label: "", render: actions },
  ];
  const slotAction = (path, done) => async () => { await api("POST", `/api/slots/${encodeURIComponent(dialog.slot.id)}/${path}`, {}); toast(t(done, { id: dialog.slot.id })); };
  const remove = async () => { await api("DELETE", `/api/slots/${encodeURIComponent(dialog.slot.id)}`); toast(t("admin.slots.deleted", { id: dialog.slot.id })); await resync(); };
  const set = (k) => (e) => setFilter({ ...filter, [k]: e.target.value });
  return html`<div data-testid="admin-slots">
    <div class="toolbar">
      <input type="search" placeholder=${t("admin.slots.search")} value=${filter.q} onInput=${set("q")} data-testid="slots-search" />
      <select value=${filter.type} onChange=${set("type")}><option value="">${t("farm.allTypes")}</option>${TYPES.map((x) => html`<option value=${x}>${x}</option>`)}</select>
      <select value=${filter.state} onChange=${set("state")}><option value="">${t("farm.allStates")}</option>${STATES.map((x) => html`<option value=${x}>${x}</option>`)}</select>
      <span class="count">${t("farm.shown", { shown: rows.length, total: all.length })}</span>
      ${can("vssd.slots.create") ? html`<button class="btn primary" onClick=${() => setDialog({ kind: "new" })} data-testid="slot-new">+ ${t("admin.slots.new")}</button>` : null}
    </div>
    ${!loaded ? html`<div class="loading">${t("loading")}</div>` : html`<${Table} testid="slots-table" columns=${columns} rows=${rows} />`}
    ${dialog?.kind === "new" ? html`<${SlotForm} onClose=${close} />` : null}
    ${dialog?.kind === "enroll" ? html`<${EnrollForm} slot=${dialog.slot} onClose=${close} />` : null}
    ${dialog?.kind === "disable" ? html`<${Confirm} title=${t("admin.slots.disable")} label=${t("admin.slots.disable")} text=${t("admin.slots.disableQ", { id: dialog.slot.id })}
      onClose=${close} action=${slotAction("disable", "admin.slots.disabled")} />` : null}
    ${dialog?.kind === "delete" ? html`<${Confirm} title=${t("admin.delete")} text=${t("admin.slots.deleteQ", { id: dialog.slot.id })} onClose=${close} action=${remove} />` : null}
  </div>`;
}
