// Small form controls: every one has a label, a unit and its allowed range on screen.

let counter = 0;
let page = ""; // set where several copies of these modules share a document (notebook widgets)

/** Prefix every id made from now on with `text` (ids stay unique across the widgets of one notebook). */
export function idPrefix(text) {
  page = text;
}

function uid(prefix) {
  counter += 1;
  return `${page}${prefix}-${counter}`;
}

/** Short text for a number: 0.001 -> "0.001", 1e-10 -> "1e-10", 123456 -> "1.23e+5". */
export function fmt(v, digits = 4) {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(digits)));
  return v.toExponential(Math.max(0, digits - 2)).replace("e+", "e+").replace(/\.?0+e/, "e");
}

function labelFor(id, key, unit, text) {
  const label = document.createElement("label");
  label.htmlFor = id;
  const name = document.createElement("span");
  if (key) {
    name.dataset.i18n = key;
  } else {
    name.textContent = text;
  }
  label.append(name);
  // a unit only where there is one (a count of samples, say): no "[1]" a reader takes for a footnote
  if (unit && unit !== "1") {
    const u = document.createElement("span");
    u.className = "unit";
    u.dataset.i18nUnit = unit; // a unit that is a word ("samples") is translated, a symbol stays
    u.textContent = ` (${unit})`;
    label.append(u);
  }
  return label;
}

/**
 * A slider with a number box beside it. `log` makes the slider move over log10 of the
 * value (a learning rate from 1e-5 to 10 gets equal room per decade). `onInput(value)` runs
 * while the slider moves, `onChange(value)` when it is let go or a number is typed.
 */
export function slider({ key, text, unit, min, max, value, log = false, integer = false, step,
                         onInput = () => {}, onChange = () => {}, name }) {
  const id = uid("ctl");
  const wrap = document.createElement("div");
  wrap.className = "control slider";
  if (name) wrap.dataset.name = name;
  wrap.append(labelFor(id, key, unit, text));
  const row = document.createElement("div");
  row.className = "row";
  const range = document.createElement("input");
  range.type = "range";
  range.id = id;
  const box = document.createElement("input");
  box.type = "number";
  box.className = "value";
  box.min = String(min);
  box.max = String(max);
  box.step = integer ? "1" : "any";
  box.setAttribute("aria-label", `${text || key} value`);
  if (log) {
    range.min = String(Math.log10(min));
    range.max = String(Math.log10(max));
    range.step = "0.01";
  } else {
    range.min = String(min);
    range.max = String(max);
    range.step = step !== undefined ? String(step) : (integer ? "1" : String((max - min) / 200));
  }
  row.append(range, box);
  wrap.append(row);
  const hint = document.createElement("div");
  hint.className = "range";
  hint.textContent = `${fmt(min)} … ${fmt(max)}${log ? " (log)" : ""}`;
  wrap.append(hint);

  const clamp = (v) => Math.min(max, Math.max(min, v));
  const fromRange = () => {
    let v = log ? 10 ** Number(range.value) : Number(range.value);
    if (log) v = Number(v.toPrecision(3));
    if (integer) v = Math.round(v);
    return clamp(v);
  };
  let current = value;
  const show = (v) => {
    current = v;
    range.value = String(log ? Math.log10(v) : v);
    box.value = String(v);
  };
  show(value);
  range.addEventListener("input", () => { show(fromRange()); onInput(current); });
  range.addEventListener("change", () => { show(fromRange()); onChange(current); });
  box.addEventListener("change", () => {
    let v = Number(box.value);
    if (!Number.isFinite(v) || (log && v <= 0)) { show(current); return; }
    if (integer) v = Math.round(v);
    show(clamp(v));
    onInput(current);
    onChange(current);
  });
  return { el: wrap, range, box, get: () => current, set: show };
}

/** A drop-down list of `options` ([value, text] or [value, text, i18nKey]). */
export function select({ key, text, unit, options, value, onChange = () => {}, name }) {
  const id = uid("sel");
  const wrap = document.createElement("div");
  wrap.className = "control select";
  if (name) wrap.dataset.name = name;
  wrap.append(labelFor(id, key, unit, text));
  const sel = document.createElement("select");
  sel.id = id;
  for (const [v, label, i18nKey] of options) {
    const opt = document.createElement("option");
    opt.value = v;
    opt.textContent = label;
    if (i18nKey) opt.dataset.i18n = i18nKey;
    sel.append(opt);
  }
  sel.value = value;
  sel.addEventListener("change", () => onChange(sel.value));
  wrap.append(sel);
  return { el: wrap, input: sel, get: () => sel.value, set: (v) => { sel.value = v; } };
}

/** A check box with its label. */
export function checkbox({ key, text, value, onChange = () => {}, name }) {
  const id = uid("chk");
  const wrap = document.createElement("div");
  wrap.className = "control checkbox";
  if (name) wrap.dataset.name = name;
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = id;
  box.checked = Boolean(value);
  box.addEventListener("change", () => onChange(box.checked));
  const label = labelFor(id, key, null, text);
  wrap.append(box, label);
  return { el: wrap, input: box, get: () => box.checked, set: (v) => { box.checked = Boolean(v); } };
}

/** A number box with label, unit and range (for a coordinate, a point, a seed). */
export function number({ key, text, unit, min, max, value, integer = false, onChange = () => {}, name }) {
  const id = uid("num");
  const wrap = document.createElement("div");
  wrap.className = "control number";
  if (name) wrap.dataset.name = name;
  wrap.append(labelFor(id, key, unit, text));
  const box = document.createElement("input");
  box.type = "number";
  box.id = id;
  box.step = integer ? "1" : "any";
  if (min !== undefined) box.min = String(min);
  if (max !== undefined) box.max = String(max);
  box.value = String(value);
  box.addEventListener("change", () => {
    if (box.value.trim() === "") return; // an emptied box is not 0: the value stands until one is typed
    let v = Number(box.value);
    if (!Number.isFinite(v)) return;
    if (integer) v = Math.round(v);
    if (min !== undefined) v = Math.max(min, v);
    if (max !== undefined) v = Math.min(max, v);
    box.value = String(v);
    onChange(v);
  });
  wrap.append(box);
  if (min !== undefined && max !== undefined) {
    const hint = document.createElement("div");
    hint.className = "range";
    hint.textContent = `${fmt(min)} … ${fmt(max)}`;
    wrap.append(hint);
  }
  return { el: wrap, input: box, get: () => Number(box.value), set: (v) => { box.value = String(v); } };
}

/**
 * A text field for a typed formula: its label `key`, the field (`id`), whatever goes beside it in
 * the row (`beside`, e.g. a draw button) and the allowed syntax under it.
 */
export function formulaInput({ id, key, value, placeholder, syntax, beside = [] }) {
  const wrap = document.createElement("div");
  wrap.className = "control expression";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.dataset.i18n = key;
  const input = document.createElement("input");
  input.type = "text";
  input.id = id;
  input.value = value;
  input.placeholder = placeholder;
  input.spellcheck = false;
  const row = document.createElement("div");
  row.className = "row";
  row.append(input, ...beside);
  const allowed = document.createElement("div");
  allowed.className = "range";
  allowed.textContent = syntax;
  wrap.append(label, row, allowed);
  return { el: wrap, input, allowed };
}

/** A button whose text is the label `key`. */
export function button(key, onClick, className = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.dataset.i18n = key;
  if (className) b.className = className;
  b.addEventListener("click", onClick);
  return b;
}

/** A box that shows a refusal or failure message from the server (hidden when empty). */
export function messageBox() {
  const box = document.createElement("div");
  box.className = "message error";
  box.setAttribute("role", "alert");
  box.hidden = true;
  return {
    el: box,
    show(text) { box.textContent = String(text).split("\n")[0]; box.hidden = false; },
    clear() { box.textContent = ""; box.hidden = true; },
  };
}
