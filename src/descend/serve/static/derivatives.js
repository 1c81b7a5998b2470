// Panel 3, derivatives (seed 004's experiment): type f(x) and a point; the error of each
// finite-difference method against the step h, and each method's best h, all from
// descend.diff_error on the server.

import { call, debounce, latestOnly } from "./api.js";
import * as catalog from "./catalog.js";
import { fmt, formulaInput, messageBox, number } from "./controls.js";
import { apply, t } from "./i18n.js";
import { CONFIG, ready, withToolbar } from "./plotting.js";
import * as state from "./state.js";

const COLORS = { forward: "#d62728", backward: "#ff7f0e", central: "#1f77b4", "five-point": "#2ca02c", complex: "#9467bd" };
const FLOOR = 1e-17; // an error of exactly 0 is drawn here (a log axis has no 0)

let els = {};

let lastData = null; // the last answer drawn (redrawn in another language without asking again)
let lastError = "";
let lastBody = null; // the server's answer to the refused formula (its words in each language)

/** A method's name in the page's language (the demo page's words: 前方差分, 中心差分, ...). */
function methodName(method) {
  const key = `method.${method}`;
  return t(key) !== key ? t(key) : method;
}

const request = latestOnly(
  (b) => call("derivatives", b),
  (data) => { els.error.clear(); lastError = ""; lastData = data; draw(data); },
  // one friendly line; the last good figure stays
  (err) => { lastError = err.message; lastBody = err.body; els.error.show(catalog.formulaMessage(err.message, err.body)); },
);

function refresh() {
  const s = state.get();
  if (!s.dexpr.trim()) return;
  // a notebook widget's state may also choose the methods, the steps and the relative error
  const more = { methods: s.dmethods, relative: s.drelative };
  for (const k of Object.keys(more)) if (more[k] === undefined) delete more[k];
  request({ expression: s.dexpr, x: s.dx, h: s.dh || { min: 1e-16, max: 1, points: 65 }, ...more });
}
const refreshSoon = debounce(refresh, 150);

function draw(data) {
  const traces = [];
  for (const [method, errors] of Object.entries(data.errors)) {
    const color = COLORS[method] || "#555";
    const name = methodName(method);
    traces.push({ type: "scatter", mode: "lines", name, x: data.hs, line: { color, width: 2 },
                  y: errors.map((e) => (e === null ? null : Math.max(e, FLOOR))),
                  hovertemplate: `${name}<br>h = %{x:.3g}<br>${t("error")} = %{y:.3g}<extra></extra>` });
    const best = data.best_h[method];
    if (best !== null && best !== undefined) {
      traces.push({ type: "scatter", mode: "markers", name: `${name}: ${t("best_h")}`, x: [best],
                    y: [Math.max(data.best_error[method], FLOOR)], marker: { color, size: 11, symbol: "diamond" },
                    showlegend: false,
                    hovertemplate: `${name} ${t("best_h")} = %{x:.3g}<br>${t("error")} = %{y:.3g}<extra></extra>` });
    }
  }
  window.Plotly.react(els.plot, traces, withToolbar({
    margin: { l: 65, r: 10, t: 36, b: 50 },
    xaxis: { type: "log", title: { text: t("h") }, exponentformat: "power" },
    yaxis: { type: "log", title: { text: `${t("error")} |f'_h(x) − f'(x)|` }, exponentformat: "power" },
    legend: { orientation: "h", x: 0, y: 1.01, yanchor: "bottom" },
    hovermode: "closest",
  }), CONFIG);
  els.plot.dataset.methods = String(Object.keys(data.errors).length);

  const table = document.createElement("table");
  const head = document.createElement("tr");
  for (const key of ["method", "best_h", "error"]) {
    const th = document.createElement("th");
    th.dataset.i18n = key;
    head.append(th);
  }
  table.append(head);
  for (const method of Object.keys(data.errors)) {
    const tr = document.createElement("tr");
    for (const text of [methodName(method), fmt(data.best_h[method], 3), fmt(data.best_error[method], 3)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    table.append(tr);
  }
  const exact = document.createElement("p");
  exact.className = "hint";
  exact.textContent = `f(x) = ${fmt(data.value, 12)}, f'(x) = ${fmt(data.exact, 12)}`;
  els.best.replaceChildren(table, exact);
  apply(els.best);
}

function buildControls() {
  const s = state.get();
  const c = els.controls;
  c.replaceChildren();
  const { el: row, input, allowed } = formulaInput({ id: "der-expr", key: "expression_1d", value: s.dexpr,
                                            placeholder: "sin(x)", syntax: catalog.syntaxLine(["x"]) });
  input.addEventListener("input", () => { state.update({ dexpr: input.value }, { silent: true }); refreshSoon(); });
  const x = number({ key: "point_x", value: s.dx, min: -1e6, max: 1e6, name: "dx",
                     onChange: (v) => { state.update({ dx: v }, { silent: true }); refresh(); } });
  els.syntax = allowed;
  els.error = messageBox();
  els.error.el.id = "der-error";
  c.append(row, x.el, els.error.el);
  apply(c);
}

/** Start the panel in `root` (the page, or a notebook widget's element holding its section). */
export async function init({ root = document } = {}) {
  await Promise.all([ready, catalog.loadProblems()]);
  const find = (id) => root.querySelector(`#${id}`);
  els = { controls: find("der-controls"), plot: find("der-plot"), best: find("der-best") };
  buildControls();
  refresh();
}

export function reload() {
  buildControls();
  refresh();
}

export function relabel() {
  if (els.syntax) els.syntax.textContent = catalog.syntaxLine(["x"]);
  if (lastError) els.error.show(catalog.formulaMessage(lastError, lastBody));
  if (lastData) draw(lastData);
}
