// Inside the optimizer (the landscape's lower figure): one run's state along the race
// (momentum buffer, AdaGrad/RMSProp accumulators, Adam's m and v) and its effective step
// |Δx| / |∇f|, as the server's POST /api/run with "internals": true returns them. They are
// asked for once a slider or a drag has settled (they cost the server a second run), so the
// paths never wait for them; every "loading…" ends in the figure or a one-line message.

import { call, debounce, latestOnly } from "./api.js";
import { select } from "./controls.js";
import { apply, currentLanguage, t } from "./i18n.js";
import { CONFIG, withToolbar } from "./plotting.js";
import { runBody, runName, runSpec, view } from "./race.js";
import * as state from "./state.js";

let els = {};
let inside = null; // {key, data}: the server's internals of one run, for the request `key`
let failed = null; // {key, message}: the request `key` was refused or failed
let asked = ""; // the key of the request in flight

const requestInternals = latestOnly(
  ({ body }) => call("run", body),
  (data, { key }) => {
    if (asked === key) asked = "";
    inside = { key, data: (data.runs && data.runs[0] && data.runs[0].internals) || null };
    failed = null;
    draw();
  },
  (err, { key }) => {
    if (asked === key) asked = "";
    failed = { key, message: err.message };
    draw();
  },
);

/** The request for the internals of the run on show (null without runs). */
function internalsBody() {
  const s = state.get();
  const run = s.runs[shownRun()];
  if (!run) return null;
  // the internals of the landscape on screen: a refused formula leaves the last good one there
  const problem = view.grid ? JSON.parse(view.grid.spec) : runBody(s).problem;
  return { ...runBody(s), problem, runs: [runSpec(run)], internals: true, lang: currentLanguage() };
}

function internalsKey() {
  return JSON.stringify(internalsBody());
}

/**
 * Ask for the internals of the view in the state, once things settle (a drag asks when it
 * stops): whatever changed it (a start, a slider, the language), what is drawn follows the state.
 */
export const refresh = debounce(() => {
  const body = internalsBody();
  if (!body) return;
  const key = JSON.stringify(body);
  if ((inside && inside.key === key) || asked === key) return;
  asked = key;
  requestInternals({ body, key });
}, 250);

let internalsRun = 0;
let internalsPicked = false; // until the learner picks one, show the first run that has a state

/** The run whose internals are on show: the one picked, else the first with a state to show. */
function shownRun() {
  const runs = state.get().runs;
  if (!internalsPicked) {
    const first = runs.findIndex((r) => r.optimizer !== "gd" && !(r.hp && r.hp.line_search));
    internalsRun = first >= 0 ? first : 0;
  }
  return Math.min(internalsRun, Math.max(0, runs.length - 1));
}

let internalsShown = null; // what the internals plot shows now (redrawn only when it changes)

/** Draw the figure (and the picker of the run on show) if what it shows has changed. */
export function draw() {
  if (!els.plot || !window.Plotly) return;
  const results = view.results;
  const s = state.get();
  internalsRun = shownRun();
  const key = internalsKey();
  const what = [results.length, internalsRun, s.runs.map(runName).join(), inside && inside.key === key ? key : "",
                failed && failed.key === key ? failed.message : ""].join("|");
  if (!inside || inside.key !== key) refresh(); // what is drawn follows the state: ask for what is missing
  if (what === internalsShown) return;
  internalsShown = what;
  els.pick.replaceChildren();
  if (!results.length) { window.Plotly.purge(els.plot); figure = ""; return; }
  const pick = select({
    key: "optimizer",
    options: results.map((_, i) => [String(i), `${i + 1}. ${runName(s.runs[i])}`]),
    value: String(internalsRun),
    onChange: (v) => { internalsRun = Number(v); internalsPicked = true; draw(); refresh(); },
  });
  els.pick.append(pick.el);
  apply(els.pick);
  const current = inside && inside.key === key ? inside.data : undefined;
  const shown = current || {};
  // small multiples: each state array of the optimizer, then the effective step |Δx| / |∇f|
  // titles from the catalogue in the current language (a state the catalogue lacks: the server's title)
  const title = (name) => (t(`state.${name}`) !== `state.${name}` ? t(`state.${name}`) : (shown.titles || {})[name] || name);
  const series = Object.entries(shown.state || {}).map(([name, rows]) => [name, title(name), rows]);
  if (shown.effective_lr) series.push(["effective_lr", t("effective_step"), shown.effective_lr]);
  const traces = [];
  const layout = { margin: { l: 70, r: 10, t: 24, b: 36 }, showlegend: false, annotations: [],
                   height: Math.max(200, 150 * series.length) };
  series.forEach(([name, title, rows], k) => {
    const axis = k === 0 ? "" : String(k + 1);
    // the axis named in words (the catalogue's short name), the panel's title saying it in full
    const word = t(`axis.${name}`) !== `axis.${name}` ? t(`axis.${name}`) : name;
    for (let c = 0; c < 2; c++) {
      const part = `${word} (${c === 0 ? "x" : "y"})`;
      traces.push({ type: "scatter", mode: "lines", name: part, xaxis: `x${axis}`, yaxis: `y${axis}`,
                    x: rows.map((_, j) => j + 1), y: rows.map((row) => (Array.isArray(row) ? row[c] : row)),
                    line: { color: c === 0 ? "#1f77b4" : "#ff7f0e", width: 1.5 },
                    hovertemplate: `${part}, ${t("step_axis")} %{x}: %{y:.4g}<extra></extra>` });
    }
    const values = rows.flat().filter((v) => v !== null && Number.isFinite(v));
    // the effective step spans decades (it grows where a gradient component nears 0): log axis
    const log = name === "effective_lr" && values.length > 0 && values.every((v) => v > 0);
    layout[`yaxis${axis}`] = { title: { text: word, font: { size: 10 } }, tickformat: ".3~g", exponentformat: "power",
                               type: log ? "log" : "linear" };
    if (values.length) {
      // a constant series (gd's effective step is lr) keeps a visible range: no magnified rounding noise
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      const mid = (lo + hi) / 2;
      if (hi - lo <= 1e-9 * Math.max(Math.abs(mid), 1e-300)) {
        const pad = Math.abs(mid) * 0.1 || 1;
        layout[`yaxis${axis}`].range = log ? [Math.log10(mid) - 0.05, Math.log10(mid) + 0.05] : [mid - pad, mid + pad];
      }
    }
    layout[`xaxis${axis}`] = { title: k === series.length - 1 ? { text: t("step_axis") } : undefined };
    layout.annotations.push({ text: `${title} — <span style="color:#1f77b4">x</span>, <span style="color:#ff7f0e">y</span>`,
                              showarrow: false, xref: `x${axis} domain`, yref: `y${axis} domain`, x: 0, y: 1.02,
                              xanchor: "left", yanchor: "bottom", font: { size: 11 } });
  });
  if (!traces.length) {
    // one line: on its way, refused (why), or nothing to show for this optimizer
    const refused = failed && failed.key === key;
    const text = current !== undefined ? t("internals_missing")
      : refused ? `${t("internals_failed")}: ${String(failed.message).split("\n")[0]}` : t("loading");
    els.plot.dataset.state = current !== undefined ? "missing" : refused ? "failed" : "loading";
    plot(`message`, [], {
      height: 120, margin: { l: 10, r: 10, t: 10, b: 10 }, xaxis: { visible: false }, yaxis: { visible: false },
      annotations: [{ text, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
    }, CONFIG);
    return;
  }
  els.plot.dataset.state = "drawn";
  layout.grid = { rows: series.length, columns: 1, pattern: "independent", ygap: 0.35 };
  plot(`grid ${series.length}`, traces, withToolbar(layout), CONFIG);
}

let figure = ""; // the figure's make: a message, or a grid of n panels

/**
 * Draw with Plotly.react while the figure keeps its make; a new make (a grid of other panels, a
 * message) is a new plot: plotly.js's react from a grid of subplots to another layout can throw.
 */
function plot(make, traces, layout, config) {
  if (make !== figure) window.Plotly.purge(els.plot);
  figure = make;
  window.Plotly.react(els.plot, traces, layout, config);
}


/** Start: `plot` is the figure's element, `pick` where the run picker goes. */
export function init(plot, pick) {
  els = { plot, pick };
}

/** The problem changed: what was shown belongs to the old one. */
export function reset() {
  inside = null;
  failed = null;
}

/** The language changed: the titles in the new language, and the server's words asked again. */
export function relabel() {
  internalsShown = null;
  draw();
}
