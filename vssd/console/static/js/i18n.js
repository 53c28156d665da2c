// Languages: Russian (default) and English. `t(key, vars)` looks a key up in the current language, falls back to
// Russian, then to the key itself. Numbers, dates and durations use Intl in the current locale and the
// browser's time zone.
import { ru } from "./lang/ru.js";
import { en } from "./lang/en.js";

const DICTS = { ru, en };
const LOCALES = { ru: "ru-RU", en: "en-GB" };
let lang = (() => { try { return localStorage.getItem("vssd.lang") || "ru"; } catch { return "ru"; } })();
if (!DICTS[lang]) lang = "ru";
const listeners = new Set();
let numFmt, dateFmt, timeFmt;
function rebuild() {
  numFmt = new Intl.NumberFormat(LOCALES[lang]);
  dateFmt = new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: "short", timeStyle: "medium" });
  timeFmt = new Intl.DateTimeFormat(LOCALES[lang], { timeStyle: "medium" });
  document.documentElement.lang = lang;
}
rebuild();

export function getLang() { return lang; }
export function setLang(next) {
  if (!DICTS[next] || next === lang) return;
  lang = next;
  try { localStorage.setItem("vssd.lang", next); } catch { /* private mode */ }
  rebuild();
  listeners.forEach((fn) => fn(lang));
}
export function onLang(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function t(key, vars) {
  let text = DICTS[lang][key] ?? ru[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`{${k}}`, String(v));
  return text;
}
export function fmtNum(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  if (digits !== undefined) return new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
  return numFmt.format(n);
}
export function fmtPct(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return "—";
  return new Intl.NumberFormat(LOCALES[lang], { style: "percent", maximumFractionDigits: 1 }).format(ratio);
}
function toDate(v) { return v instanceof Date ? v : typeof v === "number" ? new Date(v * 1000) : new Date(v); }
export function fmtDateTime(v) { return v === null || v === undefined || v === "" ? "—" : dateFmt.format(toDate(v)); }
export function fmtTime(v) { return v === null || v === undefined || v === "" ? "—" : timeFmt.format(toDate(v)); }
// Seconds as m:ss or h:mm:ss (time in state, talk time).
export function fmtDur(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (h ? `${h}:` : "") + `${mm}:${String(r).padStart(2, "0")}`;
}

// A page adds its own words: `extend({ ru: {...}, en: {...} })` at module load (keys prefixed by the page).
export function extend(dicts) {
  for (const [l, words] of Object.entries(dicts)) if (DICTS[l]) Object.assign(DICTS[l], words);
}
