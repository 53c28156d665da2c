// Admin · Trunks (the operating manual's "Создание транка"): the list (GET /api/trunks, filter by type), create
// (POST), edit (PATCH /api/trunks/{id}: name, capacity, description) and delete (DELETE, behind a confirmation;
// the trunk's slots stay, bound to no trunk).
import { useState } from "../../../vendor/preact-htm.mjs";
import { api, can } from "../../api.js";
import { extend, fmtNum, t } from "../../i18n.js";
import { toast } from "../../store.js";
import { Button, ErrorNote, Field, html, Modal, Pager, Table, usePaged } from "../../ui.js";
import { Confirm, FormButtons, FormNote, isInt, useForm } from "./form.js";

extend({
  ru: {
    "admin.trunks.new": "Новый транк", "admin.trunks.edit": "Транк {name}", "admin.trunks.name": "Название",
    "admin.trunks.type": "Тип", "admin.trunks.capacity": "Ёмкость", "admin.trunks.description": "Описание",
    "admin.trunks.slots": "Слотов", "admin.trunks.state": "Состояние", "admin.trunks.allTypes": "Все типы",
    "admin.trunks.saved": "Транк сохранён", "admin.trunks.deleted": "Транк удалён",
    "admin.trunks.deleteQ": "Удалить транк {name}? Его слоты ({n}) останутся без транка.",
    "admin.trunks.capHint": "Сколько слотов может нести транк (0–10000)",
  },
  en: {
    "admin.trunks.new": "New trunk", "admin.trunks.edit": "Trunk {name}", "admin.trunks.name": "Name",
    "admin.trunks.type": "Type", "admin.trunks.capacity": "Capacity", "admin.trunks.description": "Description",
    "admin.trunks.slots": "Slots", "admin.trunks.state": "State", "admin.trunks.allTypes": "All types",
    "admin.trunks.saved": "Trunk saved", "admin.trunks.deleted": "Trunk deleted",
    "admin.trunks.deleteQ": "Delete trunk {name}? Its slots ({n}) stay, bound to no trunk.",
    "admin.trunks.capHint": "How many slots the trunk carries (0–10000)",
  },
});

export const TRUNK_TYPES = ["auto", "mf", "ls"];

function check(v) {
  const out = {};
  if (!v.name.trim() || v.name.trim().length > 100) out.name = t("admin.v.length", { min: 1, max: 100 });
  if (!TRUNK_TYPES.includes(v.type)) out.type = t("admin.v.required");
  if (String(v.capacity).trim() !== "" && (!isInt(v.capacity) || Number(v.capacity) > 10000)) out.capacity = t("admin.v.range", { min: 0, max: 10000 });
  if (v.description.length > 500) out.description = t("admin.v.length", { min: 0, max: 500 });
  return out;
}

function TrunkForm({ trunk, onClose, onSaved }) {
  const creating = !trunk;
  const form = useForm({ name: trunk?.name || "", type: trunk?.type || "auto", capacity: trunk?.capacity ?? "", description: trunk?.description || "" }, check);
  const { values: v, input, errors } = form;
  const save = async () => {
    const ok = await form.submit((vals) => {
      const sent = { name: vals.name.trim(), description: vals.description };
      if (String(vals.capacity).trim() !== "") sent.capacity = Number(vals.capacity);
      return creating ? api("POST", "/api/trunks", { ...sent, type: vals.type }) : api("PATCH", `/api/trunks/${trunk.id}`, sent);
    });
    if (ok) { toast(t("admin.trunks.saved")); onSaved(); onClose(); }
  };
  return html`<${Modal} title=${creating ? t("admin.trunks.new") : t("admin.trunks.edit", { name: trunk.name })} onClose=${onClose}>
    <form data-testid="trunk-form" onSubmit=${(e) => { e.preventDefault(); save(); }}>
      <${Field} label=${t("admin.trunks.name")} name="name" error=${errors.name}><input name="name" autocomplete="off" value=${v.name} onInput=${input("name")} /></${Field}>
      <div class="form-row">
        <${Field} label=${t("admin.trunks.type")} name="type" error=${errors.type}>
          <select name="type" value=${v.type} onChange=${input("type")} disabled=${!creating}>${TRUNK_TYPES.map((x) => html`<option value=${x}>${x.toUpperCase()}</option>`)}</select></${Field}>
        <${Field} label=${t("admin.trunks.capacity")} name="capacity" error=${errors.capacity} hint=${t("admin.trunks.capHint")}>
          <input name="capacity" inputmode="numeric" value=${v.capacity} onInput=${input("capacity")} /></${Field}>
      </div>
      <${Field} label=${t("admin.trunks.description")} name="description" error=${errors.description}><input name="description" value=${v.description} onInput=${input("description")} /></${Field}>
      <${FormNote} errors=${errors} />
      <${FormButtons} action=${save} onClose=${onClose} />
    </form>
  </${Modal}>`;
}

export default function Trunks() {
  const [type, setType] = useState("");
  const [editing, setEditing] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const list = usePaged((p) => api("GET", "/api/trunks", null, { ...p, type }), [type], 100);
  const columns = [
    { label: "ID", key: "id" }, { label: t("admin.trunks.name"), render: (r) => html`<b>${r.name}</b>` },
    { label: t("admin.trunks.type"), render: (r) => String(r.type || "").toUpperCase() },
    { label: t("admin.trunks.capacity"), render: (r) => fmtNum(r.capacity) }, { label: t("admin.trunks.slots"), render: (r) => fmtNum(r.slots_count) },
    { label: t("admin.trunks.state"), render: (r) => r.state || "—" }, { label: t("admin.trunks.description"), render: (r) => r.description || "—" },
    { label: "", render: (r) => can(`vssd.trunks.${r.id}.delete`) ? html`<span class="row-actions" onClick=${(e) => e.stopPropagation()}>
      <${Button} kind="small danger" action=${async () => setDeleting(r)} testid="trunk-delete">${t("admin.delete")}</${Button}></span>` : null },
  ];
  return html`<div data-testid="admin-trunks">
    <div class="toolbar">
      <select value=${type} onChange=${(e) => setType(e.target.value)} data-testid="trunks-type"><option value="">${t("admin.trunks.allTypes")}</option>${TRUNK_TYPES.map((x) => html`<option value=${x}>${x.toUpperCase()}</option>`)}</select>
      <span class="count">${list.total}</span>
      ${can("vssd.trunks.create") ? html`<button class="btn primary" onClick=${() => setEditing("new")} data-testid="trunk-new">+ ${t("admin.trunks.new")}</button>` : null}
    </div>
    <${ErrorNote} error=${list.error} />
    <${Table} testid="trunks-table" columns=${columns} rows=${list.rows} onRow=${(r) => can(`vssd.trunks.${r.id}.update`) && setEditing(r)} />
    <${Pager} offset=${list.offset} limit=${list.limit} total=${list.total} onPage=${list.setOffset} />
    ${editing ? html`<${TrunkForm} trunk=${editing === "new" ? null : editing} onClose=${() => setEditing(null)} onSaved=${list.reload} />` : null}
    ${deleting ? html`<${Confirm} title=${t("admin.delete")} text=${t("admin.trunks.deleteQ", { name: deleting.name, n: deleting.slots_count ?? 0 })} onClose=${() => setDeleting(null)}
      action=${async () => { await api("DELETE", `/api/trunks/${deleting.id}`); toast(t("admin.trunks.deleted")); list.reload(); }} />` : null}
  </div>`;
}
