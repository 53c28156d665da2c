// What the admin tabs' forms share: field state with client-side checks before sending, the API's per-field
// problems (ApiError.fields(), or a conflict code the page names a field for) shown beside the fields, a general
// note for the rest, and a confirmation dialog for destructive actions.
import { useState } from "../../../vendor/preact-htm.mjs";
import { ApiError } from "../../api.js";
import { t } from "../../i18n.js";
import { Button, html, Modal } from "../../ui.js";

// The API's conflict codes that belong to one field (USER_001 username taken, ...), shown in the user's language.
const CODE_FIELDS = {
  USER_001: "username", USER_002: "email", USER_003: "extension", ROLE_001: "name", TRUNK_001: "name",
  SLOT_001: "internal_sip_number", SLOT_002: "device_id", SLOT_003: "trunk_id", TRUNK_002: "trunk_id",
};

// The message to show for an API error: the translated code when the page has one, else the API's own words.
export function apiMessage(err) {
  const key = `admin.err.${err.code}`;
  const known = err.code ? t(key) : key;
  if (known !== key) return known;
  return err.status === 403 ? t("admin.err.forbidden") : err.message;
}

// {field: message} from an API error, and "_" for what belongs to no field.
export function problemsOf(err) {
  if (!(err instanceof ApiError)) return { _: err.message || String(err) };
  const out = err.fields();
  const field = CODE_FIELDS[err.code];
  if (field) out[field] = apiMessage(err);
  if (out._ || !Object.keys(out).length) out._ = apiMessage(err);
  else if (!field && err.status !== 422) out._ = apiMessage(err);
  return out;
}

// `check(values)` → {field: message} of client-side problems; `send(values)` performs the request.
export function useForm(initial, check) {
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState({});
  const set = (name, value) => { setValues((v) => ({ ...v, [name]: value })); setErrors((e) => { const n = { ...e }; delete n[name]; delete n._; return n; }); };
  const input = (name) => (e) => set(name, e.target.type === "checkbox" ? e.target.checked : e.target.value);
  const submit = async (send) => {
    const local = check(values);
    if (Object.keys(local).length) { setErrors(local); return false; }
    setErrors({});
    try { await send(values); return true; } catch (err) { setErrors(problemsOf(err)); return false; }
  };
  return { values, set, input, errors, submit };
}

export function FormNote({ errors }) {
  return errors._ ? html`<div class="note error" role="alert" data-testid="form-error">${errors._}</div>` : null;
}

// A destructive action behind a question; the dialog closes when the action succeeds.
export function Confirm({ title, text, action, onClose, label }) {
  const [error, setError] = useState(null);
  const run = async () => { try { await action(); onClose(); } catch (err) { setError(problemsOf(err)._ || apiMessage(err)); } };
  return html`<${Modal} title=${title} onClose=${onClose}>
    <p data-testid="confirm-text">${text}</p>
    ${error ? html`<div class="note error" role="alert">${error}</div>` : null}
    <div class="actions">
      <${Button} kind="danger" action=${run} testid="confirm-yes">${label || t("admin.delete")}</${Button}>
      <button class="btn" onClick=${onClose}>${t("cancel")}</button>
    </div>
  </${Modal}>`;
}

// Form buttons: submit (busy while the request runs) and cancel.
export function FormButtons({ action, onClose, label, testid = "form-save" }) {
  return html`<div class="actions">
    <${Button} kind="primary" action=${action} testid=${testid}>${label || t("save")}</${Button}>
    <button class="btn" type="button" onClick=${onClose}>${t("cancel")}</button>
  </div>`;
}

export const isInt = (v) => /^[0-9]+$/.test(String(v).trim());
