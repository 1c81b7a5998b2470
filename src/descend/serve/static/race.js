// The landscape's race: what is asked of the server (the problem, the start, the runs) and
// what came back (the contour grid, every run's iterates, f and |grad|). The page's panels
// read it here; nothing in it computes a number the server did not send.

import { call, debounce, latestOnly } from "./api.js";
import * as catalog from "./catalog.js";
import * as state from "./state.js";

export const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                       "#bcbd22", "#7f7f7f"];
export const RESOLUTION = 101; // contour grid points per axis
export const MAX_RUNS = 12; // runs per request (API.md's limits)

/**
 * What the server sent: `grid` ({x, y, z, window, x0, minimizers, log, lo, hi, spec}), the last good
 * one (a refused formula leaves the landscape before it on screen), and `results`, the runs of the
 * request `resultsFor` (the problem they belong to: a path is drawn only on its own landscape).
 */
export const view = { grid: null, results: [], resultsFor: "" };
/**
 * What the landscape panel does when answers come: `drawn()` after any change, and
 * `gridError(message, body)` / `runsError(message)` (null: clear the message; body: the server's answer).
 */
export const hooks = { drawn: () => {}, gridError: () => {}, runsError: () => {} };

/** The problem part of a request: a name, or the typed expression (with its window where the state has one). */
export function problemSpec(s = state.get()) {
  if (s.problem !== "expression") return s.problem;
  return s.window ? { expression: s.expr, window: s.window } : { expression: s.expr };
}

/** The start on screen: the clicked one, else the problem's own x0 (as the server uses it). */
export function startPoint(s = state.get()) {
  if (s.start) return s.start;
  const mine = JSON.stringify(problemSpec(s));
  if (view.grid && view.grid.spec === mine && view.grid.x0) return view.grid.x0;
  if (view.resultsFor === mine && view.results.length && view.results[0].x.length) return view.results[0].x[0];
  const p = s.problem !== "expression" && catalog.problem(s.problem);
  return p && p.x0 ? p.x0 : [0, 0];
}

/** One run of a request: the optimizer, its lr and hyperparameters. */
export function runSpec(run) {
  const spec = { optimizer: run.optimizer, lr: run.lr, ...run.hp };
  if (spec.line_search) delete spec.lr; // a line search chooses its own step
  return spec;
}

/** A run's name on the page: "adam", or "gd + backtracking" for a line search. */
export function runName(run) {
  if (!run) return "?";
  return run.hp && run.hp.line_search ? `gd + ${run.hp.line_search}` : run.optimizer;
}

// ---- the requests ------------------------------------------------------------------------
// The contour grid and the runs are asked for side by side (a start not chosen is null: the
// server starts from the problem's own x0), one of each kind in flight.

const sameProblem = (body) => JSON.stringify(body.problem) === JSON.stringify(problemSpec());

/** Whether `message` (a refusal of /api/run) is about the problem: the grid's request says it already. */
const aboutProblem = (message) => /^problem\b/.test(String(message));

const requestGrid = latestOnly(
  (spec) => call("surface", { problem: spec, points: RESOLUTION }),
  (data, spec) => {
    if (JSON.stringify(spec) !== JSON.stringify(problemSpec())) return; // an older problem's grid
    hooks.gridError(null);
    view.grid = { ...normalizeGrid(data), spec: JSON.stringify(spec) };
    hooks.drawn();
  },
  (err, spec) => {
    if (JSON.stringify(spec) !== JSON.stringify(problemSpec())) return;
    // the last good landscape stays on screen, with one line saying why the new one is not there
    hooks.gridError(err.message, err.body);
    hooks.drawn();
  },
);

const requestRuns = latestOnly(
  (body) => call("run", body),
  (data, body) => {
    if (!sameProblem(body)) return;
    hooks.runsError(null);
    view.results = (data.runs || []).map((r) => normalizeRun(r));
    view.resultsFor = JSON.stringify(body.problem);
    hooks.drawn();
  },
  (err, body) => {
    lastRuns = ""; // the same request may be sent again
    if (sameProblem(body) && !aboutProblem(err.message)) hooks.runsError(err.message);
  },
);

function normalizeGrid(d) {
  const z = d.z;
  const flat = z.flat().filter(Number.isFinite);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of flat) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const sorted = flat.slice().sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  // the contour lines go on a log scale where f spans decades (Rosenbrock's valley)
  const log = d.log_levels ?? ((hi - lo) > 50 * Math.max(median - lo, 1e-12));
  return { x: d.x, y: d.y, z, lo, hi, log, window: d.window, x0: d.x0, minimizers: d.minimizers || [],
           equal: d.equal_axes ?? null, description: d.description || "" };
}

function normalizeRun(r) {
  return { x: r.x || [], f: r.f || [], grad: r.grad_norm || [], status: r.status, message: r.message || "", nit: r.nit };
}

/** The body of POST /api/run for the view in `s`. */
export function runBody(s = state.get()) {
  // no start chosen: null, and the server starts from the problem's own x0
  const body = { problem: problemSpec(s), start: s.start, steps: s.steps, runs: s.runs.map(runSpec) };
  if (s.gtol > 0) body.gtol = s.gtol;
  return body;
}

/** Ask again for the grid (new problem or expression) and the runs. */
export function refreshAll() {
  const s = state.get();
  lastRuns = "";
  if (s.problem === "expression" && !s.expr.trim()) {
    // no formula yet: the last landscape stays until one is typed (none at all: the page says to type one)
    hooks.gridError(null);
    hooks.drawn();
    return;
  }
  requestGrid(problemSpec(s));
  refreshRuns();
}

let lastRuns = "";

/** Ask again only for the runs (a slider moved, a start was clicked); true if a request went out. */
export function refreshRuns() {
  const s = state.get();
  if (!s.runs.length) {
    view.results = [];
    view.resultsFor = JSON.stringify(problemSpec(s));
    hooks.drawn();
    return false;
  }
  const body = runBody(s);
  const key = JSON.stringify(body);
  if (key === lastRuns) return false; // a key press fires "input" and "change": one request
  lastRuns = key;
  requestRuns(body);
  return true;
}

/** f as drawn: log10(1 + f - min) where f spans decades (display only), else f. */
export function shown(v) {
  const grid = view.grid;
  if (!grid || !grid.log) return v;
  return Number.isFinite(v) ? Math.log10(1 + v - grid.lo) : null;
}

