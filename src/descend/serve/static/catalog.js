// What the server offers (problems, optimizers and their hyperparameters with ranges),
// fetched once and shared by the panels, in one normalized shape.

import { call } from "./api.js";
import { currentLanguage, t } from "./i18n.js";

let problems = null; // the promises of the two listings
let optimizers = null;

function asList(data, key) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  if (data && typeof data[key] === "object") return Object.entries(data[key]).map(([name, v]) => ({ name, ...v }));
  return [];
}

/**
 * One hyperparameter as {name, default, min, max, log, kind: "number" | "integer" | "bool" | "pair" | "choice"}.
 * min and max are the control's range: the server's `slider` range where it gives one.
 */
function normalizeHyper(spec) {
  const dflt = spec.default;
  let kind = spec.kind || spec.type;
  if (!kind) kind = typeof dflt === "boolean" ? "bool" : Array.isArray(dflt) ? "pair" : "number";
  if (kind === "float") kind = "number";
  if (kind === "int") kind = "integer";
  if (kind === "boolean") kind = "bool";
  const [min, max] = spec.slider || [spec.min, spec.max];
  return { name: spec.name, default: dflt, min, max, log: spec.scale === "log", kind, choices: spec.choices,
           unit: spec.unit, help: spec.help || spec.doc || "" };
}

function normalizeOptimizer(o) {
  let hypers = o.hyperparameters || [];
  if (!Array.isArray(hypers)) hypers = Object.entries(hypers).map(([name, v]) => ({ name, ...v }));
  const hp = hypers.map(normalizeHyper).filter((h) => h.default !== null || h.kind !== "number");
  const lr = hp.find((h) => h.name === "lr") || normalizeHyper({ name: "lr", default: 0.01, slider: [1e-5, 10], scale: "log" });
  if (!(lr.min > 0)) lr.min = 1e-5;
  if (!(lr.max > lr.min)) lr.max = 10;
  lr.log = true;
  return {
    name: o.name,
    label: o.name,
    doc: o.doc || "",
    lr,
    hyperparameters: hp.filter((h) => h.name !== "lr"),
    torch: o.torch,
    optax: o.optax,
  };
}

function normalizeProblem(p) {
  return {
    name: p.name,
    dim: p.dim ?? p.n ?? (p.x0 ? p.x0.length : 2),
    x0: p.x0 || p.start,
    window: p.window,
    minimum: p.minimum,
    minimizers: p.minimizers || [],
    description: p.description || p.doc || "",
    logLevels: p.log_levels,
  };
}

/** GET /api/problems once (the promise is shared, so early callers do not ask twice). */
export function loadProblems() {
  if (!problems) {
    problems = call("problems").then((data) => {
      problemList = asList(data, "problems").map(normalizeProblem);
      syntax = data.syntax || null;
      return problemList;
    });
    problems.catch(() => { problems = null; });
  }
  return problems;
}

let lineSearches = [];
let syntax = null;
let problemList = [];
let optimizerList = [];

/** GET /api/optimizers once. */
export function loadOptimizers() {
  if (!optimizers) {
    optimizers = call("optimizers").then((data) => {
      optimizerList = asList(data, "optimizers").map(normalizeOptimizer);
      lineSearches = data.line_searches || [];
      return optimizerList;
    });
    optimizers.catch(() => { optimizers = null; });
  }
  return optimizers;
}

/** The line searches the server offers with gradient descent (`{"optimizer": "gd", "line_search": ...}`). */
export function lineSearchNames() {
  return lineSearches;
}

/** The allowed formula syntax (the `syntax` block of /api/problems), or null before it came. */
export function formulaSyntax() {
  return syntax;
}

/** One line under a formula box: what it may contain, in the variables `variables` (the server's list). */
export function syntaxLine(variables) {
  if (!syntax) return `${variables.join(", ")}, ${t("syntax_numbers")}, + - * / **, ( )`;
  return `${variables.join(", ")}, ${syntax.constants.join(", ")}, ${t("syntax_numbers")}, ${syntax.operators.join(" ")}; ` +
         `${syntax.functions.join(" ")} (${t("syntax_max").replace("{n}", syntax.max_length)})`;
}

/**
 * One friendly line for a refused formula, in the page's language: the server's message
 * ("problem.expression: expression 'x+': the name 'z' is not allowed; allowed: ...") without
 * the field path, the formula echoed back or the list of what is allowed (that list is under the box).
 */
export function formulaMessage(message, body = null) {
  // the server words a refused formula in every language (formula_error); the page's own reading
  // of the English reason is the fallback for an older answer
  const worded = body && body.formula_error && body.formula_error[currentLanguage()];
  if (worded) return worded;
  const text = String(message || "");
  const reason = text.replace(/^[\w.[\]]+: /, "").replace(/^expression '.*?'(?::\s*|\s+)/s, "")
    .replace(/; allowed: .*$/s, "").trim();
  let m = /^the (function|name) '(.+?)' is not allowed/.exec(reason);
  if (m) return t(m[1] === "function" ? "formula_function" : "formula_name").replace("{name}", m[2]);
  m = /^is not a formula \((.*)\)/.exec(reason);
  if (m) return t("formula_syntax").replace("{why}", m[1]);
  return t("formula_other").replace("{why}", reason.replace(/^is /, "") || text);
}

export function optimizer(name) {
  return optimizerList.find((o) => o.name === name);
}

export function problem(name) {
  return problemList.find((p) => p.name === name);
}

/** Translate a run's status word (converged, diverged, ...) with the glossary's terms. */
export function statusKey(status) {
  const s = String(status || "").toLowerCase();
  if (s.startsWith("converged") || s === "success") return "converged";
  if (s.startsWith("diverged")) return "diverged";
  if (s.includes("max") || s.includes("limit")) return "max_steps";
  if (s.startsWith("stop")) return "stopped";
  return null;
}
