// The calls page's words (Russian first, English) and what its three modules share: value words, durations,
// the operator names, the state and outcome badges, opening a call.
import { html, useEffect, useState } from "../../vendor/preact-htm.mjs";
import { api, can, session } from "../api.js";
import { extend, fmtDur, t } from "../i18n.js";
import { navigate } from "../router.js";

extend({
  ru: {
    "calls.live": "Сейчас", "calls.history": "История", "calls.inProgress": "В разговоре", "calls.dialing": "Набор",
    "calls.ended": "Завершены", "calls.liveEmpty": "Сейчас звонков нет", "calls.liveNote": "Идущие и только что завершённые звонки, новые сверху",
    "calls.col.started": "Начало", "calls.col.state": "Состояние", "calls.col.direction": "Направление",
    "calls.col.number": "Номер", "calls.col.slot": "Слот", "calls.col.operator": "Оператор", "calls.col.duration": "Длительность",
    "calls.col.talk": "Разговор", "calls.col.ring": "Дозвон", "calls.col.outcome": "Итог", "calls.col.status": "Статус",
    "calls.col.cause": "Причина", "calls.col.campaign": "Кампания",
    "calls.state.CALLING": "Набор", "calls.state.ACTIVE_CALL": "Разговор", "calls.state.ENDED": "Завершён", "calls.state.RING": "Набор",
    "calls.dir.outbound": "Исходящий", "calls.dir.inbound": "Входящий",
    "calls.status.completed": "Успешный", "calls.status.failed": "Неуспешный", "calls.status.ended": "Завершён",
    "calls.status.connected": "Соединён", "calls.status.ringing": "Вызов", "calls.status.initiated": "Инициирован",
    "calls.outcome.answered": "Отвечен", "calls.outcome.busy": "Занято", "calls.outcome.no_answer": "Нет ответа",
    "calls.outcome.rejected": "Отклонён", "calls.outcome.failed": "Ошибка", "calls.outcome.unknown": "Неизвестно",
    "calls.outcome.cancelled": "Отменён", "calls.outcome.congestion": "Перегрузка", "calls.outcome.unavailable": "Недоступен",
    "calls.outcome.invalid_number": "Неверный номер", "calls.outcome.abandoned": "Брошен", "calls.outcome.lost": "Потерян",
    "calls.f.status": "Статус", "calls.f.outcome": "Итог", "calls.f.direction": "Направление", "calls.f.slot": "Слот",
    "calls.f.number": "Номер", "calls.f.from": "С даты", "calls.f.to": "По дату", "calls.f.campaign": "Кампания",
    "calls.f.operator": "Оператор", "calls.f.any": "Все", "calls.f.apply": "Найти", "calls.f.reset": "Сбросить",
    "calls.f.numberHint": "Полностью, в формате E.164: +79991234567", "calls.f.numberBad": "Номер: + и от 5 до 15 цифр",
    "calls.f.slotBad": "Номер слота — целое число от 1", "calls.f.rangeBad": "Дата «по» раньше даты «с»",
    "calls.f.dateBad": "Дата в формате ГГГГ-ММ-ДД", "calls.found": "Найдено: {n}",
    "calls.detail": "Звонок {id}", "calls.d.call": "Звонок", "calls.d.id": "ID", "calls.d.answered": "Ответ",
    "calls.d.ended": "Конец", "calls.d.evidence": "Признак ответа", "calls.d.channel": "Канал",
    "calls.d.recording": "Запись", "calls.d.listen": "Слушать", "calls.d.none": "нет", "calls.d.callerId": "Caller ID",
    "calls.d.cdr": "CDR: плечи звонка", "calls.d.noCdr": "CDR ещё не записан (звонок идёт или не сохранён)",
    "calls.d.cdrForbidden": "CDR недоступен для вашей роли", "calls.d.leg.channel": "Канал", "calls.d.leg.role": "Роль",
    "calls.d.leg.created": "Создан", "calls.d.notFound": "Такого звонка нет",
    "calls.notes": "Заметки", "calls.notes.none": "Заметок пока нет", "calls.notes.unavailable": "Заметки недоступны для этого звонка",
    "calls.notes.forbidden": "Заметки этого звонка вам недоступны", "calls.notes.add": "Добавить заметку",
    "calls.notes.text": "Текст заметки", "calls.notes.required": "Введите текст заметки", "calls.notes.tooLong": "Не длиннее 4000 символов",
    "calls.notes.saved": "Заметка добавлена", "calls.notes.author": "Автор",
    "calls.sec": "{n} с",
  },
  en: {
    "calls.live": "Live", "calls.history": "History", "calls.inProgress": "Talking", "calls.dialing": "Dialing",
    "calls.ended": "Ended", "calls.liveEmpty": "No calls right now", "calls.liveNote": "Calls in progress and just ended, newest first",
    "calls.col.started": "Started", "calls.col.state": "State", "calls.col.direction": "Direction",
    "calls.col.number": "Number", "calls.col.slot": "Slot", "calls.col.operator": "Operator", "calls.col.duration": "Duration",
    "calls.col.talk": "Talk", "calls.col.ring": "Ringing", "calls.col.outcome": "Outcome", "calls.col.status": "Status",
    "calls.col.cause": "Cause", "calls.col.campaign": "Campaign",
    "calls.state.CALLING": "Dialing", "calls.state.ACTIVE_CALL": "Talking", "calls.state.ENDED": "Ended", "calls.state.RING": "Dialing",
    "calls.dir.outbound": "Outbound", "calls.dir.inbound": "Inbound",
    "calls.status.completed": "Completed", "calls.status.failed": "Failed", "calls.status.ended": "Ended",
    "calls.status.connected": "Connected", "calls.status.ringing": "Ringing", "calls.status.initiated": "Initiated",
    "calls.outcome.answered": "Answered", "calls.outcome.busy": "Busy", "calls.outcome.no_answer": "No answer",
    "calls.outcome.rejected": "Rejected", "calls.outcome.failed": "Failed", "calls.outcome.unknown": "Unknown",
    "calls.outcome.cancelled": "Cancelled", "calls.outcome.congestion": "Congestion", "calls.outcome.unavailable": "Unavailable",
    "calls.outcome.invalid_number": "Invalid number", "calls.outcome.abandoned": "Abandoned", "calls.outcome.lost": "Lost",
    "calls.f.status": "Status", "calls.f.outcome": "Outcome", "calls.f.direction": "Direction", "calls.f.slot": "Slot",
    "calls.f.number": "Number", "calls.f.from": "From", "calls.f.to": "To", "calls.f.campaign": "Campaign",
    "calls.f.operator": "Operator", "calls.f.any": "Any", "calls.f.apply": "Search", "calls.f.reset": "Reset",
    "calls.f.numberHint": "In full, E.164: +79991234567", "calls.f.numberBad": "Number: + and 5 to 15 digits",
    "calls.f.slotBad": "A slot is a whole number from 1", "calls.f.rangeBad": "“To” is before “From”",
    "calls.f.dateBad": "A date as YYYY-MM-DD", "calls.found": "Found: {n}",
    "calls.detail": "Call {id}", "calls.d.call": "Call", "calls.d.id": "ID", "calls.d.answered": "Answered",
    "calls.d.ended": "Ended", "calls.d.evidence": "Answer evidence", "calls.d.channel": "Channel",
    "calls.d.recording": "Recording", "calls.d.listen": "Listen", "calls.d.none": "none", "calls.d.callerId": "Caller ID",
    "calls.d.cdr": "CDR: call legs", "calls.d.noCdr": "No CDR yet (the call is live or was not stored)",
    "calls.d.cdrForbidden": "Your role cannot read CDRs", "calls.d.leg.channel": "Channel", "calls.d.leg.role": "Role",
    "calls.d.leg.created": "Created", "calls.d.notFound": "No such call",
    "calls.notes": "Notes", "calls.notes.none": "No notes yet", "calls.notes.unavailable": "Notes are unavailable for this call",
    "calls.notes.forbidden": "You may not see this call's notes", "calls.notes.add": "Add note",
    "calls.notes.text": "Note", "calls.notes.required": "Enter the note's text", "calls.notes.tooLong": "At most 4000 characters",
    "calls.notes.saved": "Note added", "calls.notes.author": "Author",
    "calls.sec": "{n} s",
  },
});

export const STATUSES = ["completed", "failed", "ended", "connected", "ringing", "initiated"];
export const OUTCOMES = ["answered", "busy", "no_answer", "rejected", "cancelled", "congestion", "unavailable",
  "invalid_number", "failed", "abandoned", "lost", "unknown"];
export const DIRECTIONS = ["outbound", "inbound"];

// A translated word for a known value; the value itself (never a raw key) otherwise.
export function word(prefix, value) {
  if (value === null || value === undefined || value === "") return "—";
  const key = `calls.${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

export const seconds = (iso) => (iso ? Date.parse(iso) / 1000 : null);

// Seconds between two ISO instants, or from the first to `now` (epoch seconds) while the second is missing.
export function span(from, to, now) {
  const a = seconds(from);
  if (a === null) return null;
  const b = to ? seconds(to) : now;
  return b === null || b === undefined ? null : Math.max(0, b - a);
}

export function dur(value) { return value === null || value === undefined ? "—" : fmtDur(value); }

// The SPEC's own-only role: an operator sees only the calls they are bridged to (vssd/api/calls/routes.py).
export function ownOnly(s) { return !!s && s.role === "operator"; }

let operatorNames = null;  // id → name, read once per page load when the role may list operators
export function useOperatorNames() {
  const [names, setNames] = useState(() => operatorNames || {});
  useEffect(() => {
    if (operatorNames || !can("vssd.operators.read")) return;
    api("GET", "/api/operators").then((rows) => {
      operatorNames = Object.fromEntries((rows || []).map((o) => [String(o.id || o.user_id), o.name || o.extension]));
      setNames(operatorNames);
    }).catch(() => { operatorNames = {}; });
  }, []);
  return names;
}

export function operatorOf(call, names) {
  const id = call.operator_id || call.user_id;
  if (!id) return "—";
  const me = session() && session().user;
  if (me && me.id === id) return me.name || me.username;
  return names[id] || String(id).slice(0, 8);
}

export function CallState({ call }) {
  const state = call.state === "RING" ? "CALLING" : call.state || (call.ended_at ? "ENDED" : "CALLING");
  const cls = state === "ENDED" ? "st-IDLE" : `st-${state}`;
  return html`<span class="badge ${cls}" data-state=${state}>${word("state", state)}</span>`;
}

export function Outcome({ call }) {
  if (!call.outcome) return "—";
  return html`<span class="outcome ${call.outcome === "answered" ? "ok" : "bad"}">${word("outcome", call.outcome)}</span>`;
}

export function open(id) {
  const q = new URLSearchParams(location.search);
  q.set("call", id);
  navigate(`/calls?${q}`);
}
