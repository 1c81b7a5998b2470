// Panel 1, the landscape: contours (or a 3-D surface) of a problem or of a typed f(x, y),
// the optimizers' trajectories from a clicked start, a replay, and the optimizers' internals.
// The grid values, the iterates, f, |grad| and the internals all come from the server.

import { debounce } from "./api.js";
import * as catalog from "./catalog.js";
import { button, checkbox, fmt, formulaInput, messageBox, number, select, slider } from "./controls.js";
import { apply, t } from "./i18n.js";
import * as internals from "./internals.js";
import { CONFIG, full, hasFull, ready, withToolbar } from "./plotting.js";
import * as race from "./race.js";
import { COLORS, MAX_RUNS, problemSpec, runName, shown, startPoint, view } from "./race.js";
import * as state from "./state.js";

export { COLORS, problemSpec, runName, startPoint } from "./race.js";
// pale colours under the paths, low values darker (the paths stay the strongest colours)
const SURFACE_COLORS = [[0, "#5b7fa8"], [0.15, "#9fbad6"], [0.4, "#d5e1ec"], [0.7, "#eeeadf"], [1, "#f6efe0"]];
const SURFACE_3D = [[0, "#2c4f7c"], [0.2, "#5b8cc0"], [0.5, "#b9d0e6"], [0.8, "#efe6cf"], [1, "#f7efe0"]];
const MAX_STEPS = 5000;
const MARKERS_UP_TO = 150;

let els = {};
let options = { threeD: true }; // what init was given (a notebook widget: no 3-D view, whose bundle is the server's)
let playing = null;
let gridErrorBody = null; // the server's answer to the refused formula (its words in each language)

// ---- the drawing -------------------------------------------------------------------------
// Two figures lie one over the other in #land-plot: below, the contours (#land-surface, drawn
// only when the landscape, the plot's size or the zoom change: ~150 ms a time); above, the paths,
// the start and the legend (#land-paths, transparent, redrawn with Plotly.react in a few ms). The
// upper one takes the clicks, the drags and the hover; the lower one follows its axes. Every
// drawing is a function of the state (state.js) and of what the server sent for it (race.view).

/** Ask again for the grid and the runs (a new problem or formula). */
export function refreshAll() {
  internals.reset();
  race.refreshAll();
  internals.refresh();
}

/** Ask again for the runs (a slider moved, a start was clicked). */
export function refreshRuns() {
  if (race.refreshRuns()) internals.refresh();
}
const refreshRunsSoon = debounce(refreshRuns, 30);

let frame = 0;
/** Draw at the next animation frame (many changes in one frame: one drawing). */
function drawSoon() {
  if (!frame) frame = requestAnimationFrame(() => { frame = 0; draw(); });
}

function replayLimit() {
  const s = state.get();
  return s.replay >= 0 ? s.replay : Infinity;
}

/** The runs drawn: the results of the problem on show (none while another problem's are there). */
function drawnResults() {
  const grid = view.grid;
  return grid && view.resultsFor === grid.spec ? view.results : [];
}

function longest() {
  return drawnResults().reduce((m, r) => Math.max(m, r.x.length - 1), 0);
}

function pathTrace(r, i, limit, three) {
  const s = state.get();
  const n = Math.min(r.x.length, limit + 1);
  const xs = r.x.slice(0, n);
  const run = s.runs[i];
  const name = run && run.hp.line_search ? runName(run) : `${runName(run)} η=${fmt(run ? run.lr : NaN, 3)}`;
  const custom = xs.map((_, k) => [k, r.f[k], r.grad[k]]);
  const hover = `<b>${name}</b><br>${t("step_axis")} %{customdata[0]}<br>x = (%{customdata[3]:.5g}, %{customdata[4]:.5g})` +
                "<br>f = %{customdata[1]:.5g}<br>|∇f| = %{customdata[2]:.3g}<extra></extra>";
  for (let k = 0; k < custom.length; k++) custom[k].push(xs[k][0], xs[k][1]);
  // a marker per iterate while they can be told apart; past that, the line alone (thousands of
  // SVG markers cost a redraw most of a second) with the hover still on every iterate
  const color = COLORS[i % COLORS.length];
  const trace = {
    type: three ? "scatter3d" : "scatter",
    mode: n <= MARKERS_UP_TO ? "lines+markers" : "lines",
    name,
    x: xs.map((p) => p[0]),
    y: xs.map((p) => p[1]),
    customdata: custom,
    hovertemplate: hover,
    line: { color, width: three ? 7 : 2 },
    marker: { color, size: three ? 3 : 4 },
    meta: { run: i },
  };
  // on the surface, the path floats above it (else the surface hides it)
  if (three) trace.z = xs.map((_, k) => { const z = shown(r.f[k]); return z === null ? null : z + lift(); });
  return trace;
}

function lift() {
  const grid = view.grid;
  return 0.06 * ((grid.log ? shown(grid.hi) : grid.hi - grid.lo) || 1);
}

function axisRange(k) {
  const grid = view.grid;
  if (grid.window) return grid.window[k];
  const v = k === 0 ? grid.x : grid.y;
  return [v[0], v[v.length - 1]];
}

function equalAxes() {
  const grid = view.grid;
  if (grid.equal !== null && grid.equal !== undefined) return Boolean(grid.equal);
  const [a, b] = axisRange(0);
  const [c, d] = axisRange(1);
  const ratio = (b - a) / (d - c);
  return ratio < 8 && ratio > 1 / 8;
}

/** The message drawn in place of a landscape (none yet, or a formula to type). */
function drawMessage(key) {
  surfaceKey = "";
  pathsGrid = null;
  window.Plotly.purge(els.surface);
  window.Plotly.react(els.paths, [], withToolbar({
    margin: { l: 10, t: 10, b: 10 }, xaxis: { visible: false }, yaxis: { visible: false },
    annotations: [{ text: t(key), showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: 14 } }],
  }), CONFIG);
  els.plot.dataset.message = key;
}

export function draw() {
  if (!els.paths || !window.Plotly || !els.paths.on) return; // before plotly.js and the figure are there
  const began = performance.now();
  const s = state.get();
  const grid = view.grid;
  drawStatus();
  internals.draw();
  if (!grid) {
    drawMessage(s.problem === "expression" && !s.expr.trim() ? "type_formula" : "loading");
    return;
  }
  delete els.plot.dataset.message;
  const three = s.view === "3d";
  if (three && !hasFull()) { // the surface needs the full plotly.js: loaded the first time
    full().then(drawSoon, (err) => els.runError.show(err.message));
    return;
  }
  const results = drawnResults();
  const limit = replayLimit();
  // the same array each time: plotly sees an unchanged surface and does not recompute it
  if (!grid.shownZ) grid.shownZ = grid.log ? grid.z.map((row) => row.map(shown)) : grid.z;
  const traces = [];
  if (three) {
    traces.push({ type: "surface", x: grid.x, y: grid.y, z: grid.shownZ, colorscale: SURFACE_3D, opacity: 0.7,
                  showscale: false, hoverinfo: "skip", name: "f",
                  contours: { z: { show: true, usecolormap: true, project: { z: true }, width: 1 } } });
  }
  results.forEach((r, i) => traces.push(pathTrace(r, i, limit, three)));
  // the start of the landscape on screen (a refused formula leaves the last good one, its paths and start)
  const own = grid.spec === JSON.stringify(problemSpec(s));
  const start = own || !results.length || !results[0].x.length ? startPoint(s) : results[0].x[0];
  if (own && !s.start && els.startInputs) {
    els.startInputs[0].set(start[0]);
    els.startInputs[1].set(start[1]);
  }
  if (!three) {
    // where each run is at the replayed step (its last iterate otherwise)
    const heads = results.map((r) => r.x[Math.min(r.x.length - 1, limit)] || [null, null]);
    traces.push({ type: "scatter", mode: "markers", name: "now", x: heads.map((p) => p[0]), y: heads.map((p) => p[1]),
                  marker: { color: results.map((_, i) => COLORS[i % COLORS.length]), size: 9,
                            line: { color: "#fff", width: 1.5 } },
                  hoverinfo: "skip", showlegend: false });
    if (grid.minimizers.length) {
      traces.push({ type: "scatter", mode: "markers", name: "minimizer", x: grid.minimizers.map((m) => m[0]),
                    y: grid.minimizers.map((m) => m[1]), marker: { symbol: "star", size: 12, color: "#ffd700",
                    line: { width: 1, color: "#333" } }, hoverinfo: "skip", showlegend: false });
    }
    // the start, last: on top of everything, the handle a learner drags
    traces.push({ type: "scatter", mode: "markers", name: t("start"), x: [start[0]], y: [start[1]],
                  marker: { symbol: "circle-open", size: 15, color: "#111", line: { width: 3 } },
                  hoverinfo: "skip", showlegend: false, meta: { start: true } });
  }
  const xr = axisRange(0);
  const yr = axisRange(1);
  const layout = withToolbar({
    margin: { l: 50, r: 10, t: 30, b: 40 },
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.01, yanchor: "bottom" },
    uirevision: `${grid.spec}|${s.view}`,
    hovermode: "closest",
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
  });
  if (three) {
    layout.scene = { xaxis: { title: { text: "x" }, range: xr }, yaxis: { title: { text: "y" }, range: yr },
                     camera: { eye: { x: -1.05, y: -1.15, z: 1.15 } }, aspectmode: "manual",
                     aspectratio: { x: 1, y: (yr[1] - yr[0]) / (xr[1] - xr[0]) || 1, z: 0.6 },
                     zaxis: { title: { text: grid.log ? "log10(1 + f − min)" : "f" } } };
    layout.paper_bgcolor = "#fff";
    surfaceKey = "";
    window.Plotly.purge(els.surface);
  } else {
    layout.xaxis = { title: { text: "x" }, range: xr, constrain: "domain", showgrid: false, zeroline: false };
    layout.yaxis = { title: { text: "y" }, range: yr, constrain: "domain", showgrid: false, zeroline: false };
    if (equalAxes()) layout.yaxis.scaleanchor = "x";
  }
  const t0 = performance.now();
  window.Plotly.react(els.paths, traces, layout, CONFIG);
  pathsGrid = three ? null : grid;
  if (!three) drawSurface();
  els.plot.dataset.reactMs = (performance.now() - t0).toFixed(1);
  // what is on the plot, for a reader of the page (and its browser tests)
  els.plot.dataset.runs = String(results.length);
  els.plot.dataset.problem = JSON.parse(grid.spec).expression ?? JSON.parse(grid.spec);
  els.plot.dataset.log = String(Boolean(grid.log));
  els.plot.dataset.start = start.join(",");
  els.plot.dataset.pathsFrom = results.length && results[0].x.length ? results[0].x[0].join(",") : "";
  els.plot.dataset.draws = String(Number(els.plot.dataset.draws || 0) + 1);
  els.plot.dataset.drawnAt = String(performance.timeOrigin + performance.now());
  els.plot.dataset.drawMs = (performance.now() - began).toFixed(1);
  if (!els.plot.dataset.firstDrawn && results.length) els.plot.dataset.firstDrawn = els.plot.dataset.drawnAt;
  updateReplaySlider();
}

let surfaceKey = ""; // what the contour figure shows: the grid, the plot area and the axes' ranges
let pathsGrid = null; // the grid the upper figure was last drawn for (2-D)

/**
 * The contours under the paths, redrawn only when what they show changed: the landscape, or the
 * upper figure's plot area and axes (a zoom, a resize, a legend that took another row).
 */
function drawSurface() {
  const grid = pathsGrid; // the contours of the landscape whose axes the upper figure has now
  const top = els.paths._fullLayout;
  if (!grid || !grid.shownZ || !top || !top.xaxis || !top.yaxis || !top._size) return;
  const size = top._size;
  const xr = top.xaxis.range.slice();
  const yr = top.yaxis.range.slice();
  const key = JSON.stringify([grid.spec, grid.id, size, top.width, top.height, xr, yr]);
  if (key === surfaceKey && els.surface.querySelector(".contourlayer")) return;
  if (surfaceBusy) { surfaceAgain = true; return; }
  if (!grid.id) { gridId += 1; grid.id = gridId; }
  surfaceKey = JSON.stringify([grid.spec, grid.id, size, top.width, top.height, xr, yr]);
  // the 30 levels given, not left to plotly.js: its react keeps automatic levels only when it
  // recomputes the trace, and a redraw for a new size alone would find none
  if (!grid.levels) grid.levels = levels(grid.shownZ, 30);
  const trace = { type: "contour", x: grid.x, y: grid.y, z: grid.shownZ, colorscale: SURFACE_COLORS, autocontour: false,
                  contours: { coloring: "heatmap", showlines: true, ...grid.levels },
                  line: { color: "rgba(40,40,60,0.35)", width: 0.6 }, showscale: false, hoverinfo: "skip", name: "f" };
  const layout = {
    width: top.width, height: top.height, autosize: false, showlegend: false,
    margin: { l: size.l, r: size.r, t: size.t, b: size.b, pad: 0, autoexpand: false },
    xaxis: { range: xr, visible: false, constrain: "domain", fixedrange: true },
    yaxis: { range: yr, visible: false, constrain: "domain", fixedrange: true },
  };
  if (top.yaxis.scaleanchor) layout.yaxis.scaleanchor = "x";
  // one drawing of the contours at a time: plotly.js draws asynchronously, and a second react
  // while the first is under way replaces the figure's data under it
  surfaceBusy = true;
  const drawing = window.Plotly.react(els.surface, [trace], layout, { staticPlot: true, responsive: false });
  Promise.resolve(drawing)
    .catch(() => { surfaceKey = ""; })
    .finally(() => {
      surfaceBusy = false;
      els.plot.dataset.surfaceDraws = String(Number(els.plot.dataset.surfaceDraws || 0) + 1);
      if (surfaceAgain) { surfaceAgain = false; drawSurface(); }
    });
}

/** `n` evenly spaced contour levels over the finite values of `z` (plotly's contours.start/end/size). */
function levels(z, n) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of z) for (const v of row) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) return { start: Number.isFinite(lo) ? lo : 0, end: Number.isFinite(lo) ? lo + 1 : 1, size: 1 };
  const size = (hi - lo) / n;
  return { start: lo + size / 2, end: hi - size / 2, size };
}

let surfaceBusy = false;
let surfaceAgain = false;

let gridId = 0;

function drawStatus() {
  const s = state.get();
  const results = drawnResults();
  els.status.replaceChildren();
  if (!results.length) return;
  const table = document.createElement("table");
  const head = document.createElement("tr");
  for (const key of ["optimizer", "lr", "status", "final_f", "iterations"]) {
    const th = document.createElement("th");
    th.dataset.i18n = key;
    head.append(th);
  }
  table.append(head);
  results.forEach((r, i) => {
    const tr = document.createElement("tr");
    const key = catalog.statusKey(r.status);
    const run = s.runs[i];
    const cells = [runName(run), run && !run.hp.line_search ? fmt(run.lr, 3) : "—", null,
                   fmt(r.f[r.f.length - 1], 6), String(Math.max(0, r.x.length - 1))];
    cells.forEach((text, c) => {
      const td = document.createElement("td");
      if (c === 0) {
        const sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.background = COLORS[i % COLORS.length];
        td.append(sw, text);
      } else if (c === 2) {
        const span = document.createElement("span");
        if (key) span.dataset.i18n = key; else span.textContent = r.status;
        span.className = `status-${key || "other"}`;
        td.append(span);
        td.title = r.message;
      } else {
        td.textContent = text;
      }
      tr.append(td);
    });
    tr.className = `run-row status-${key || "other"}`;
    table.append(tr);
  });
  els.status.append(table);
  apply(els.status);
}

// ---- replay ------------------------------------------------------------------------------

function updateReplaySlider() {
  const n = longest();
  const s = state.get();
  els.replay.range.max = String(n);
  els.replay.box.max = String(n);
  els.replay.el.querySelector(".range").textContent = `0 … ${n}`;
  els.replay.set(s.replay >= 0 ? Math.min(s.replay, n) : n);
}

function setReplay(k) {
  const n = longest();
  state.update({ replay: k >= n ? -1 : Math.max(0, k) }, { silent: true });
  drawSoon();
}

function play() {
  if (playing) { stop(); return; }
  const n = longest();
  let k = state.get().replay >= 0 ? state.get().replay : 0;
  if (k >= n) k = 0;
  els.playButton.dataset.i18n = "pause";
  apply(els.toolbar);
  // four seconds for the whole race, however many frames the machine draws in them
  const k0 = k;
  const began = performance.now();
  const tick = () => {
    k = Math.max(k + 1, k0 + Math.floor(((performance.now() - began) / 4000) * n));
    setReplay(k);
    if (k >= n) { stop(); return; }
    playing = requestAnimationFrame(tick);
  };
  setReplay(k);
  playing = requestAnimationFrame(tick);
}

function stop() {
  if (playing) cancelAnimationFrame(playing);
  playing = null;
  els.playButton.dataset.i18n = "play";
  apply(els.toolbar);
}

// ---- the controls ------------------------------------------------------------------------

function hyperControl(run, spec, onChange) {
  const value = run.hp[spec.name] ?? spec.default;
  if (spec.kind === "bool") {
    return checkbox({ text: spec.name, value, name: spec.name, onChange: (v) => onChange(spec.name, v) });
  }
  if (spec.kind === "choice" && spec.choices) {
    return select({ text: spec.name, value: String(value), name: spec.name, options: spec.choices.map((c) => [String(c), String(c)]),
                    onChange: (v) => onChange(spec.name, v) });
  }
  if (spec.kind === "pair" || Array.isArray(value)) {
    // betas: one slider per component, the pair sent as a list
    const wrap = document.createElement("div");
    wrap.className = "pair";
    const parts = Array.isArray(value) ? value.slice() : [value, value];
    const mins = Array.isArray(spec.min) ? spec.min : [spec.min ?? 0, spec.min ?? 0];
    const maxs = Array.isArray(spec.max) ? spec.max : [spec.max ?? 0.9999, spec.max ?? 0.9999];
    parts.forEach((p, c) => {
      const ctl = slider({ text: `${spec.name} ${c + 1}`, unit: spec.unit, min: mins[c], max: maxs[c], value: p,
                           name: `${spec.name}.${c}`,
                           onInput: (v) => { parts[c] = v; onChange(spec.name, parts.slice(), true); },
                           onChange: (v) => { parts[c] = v; onChange(spec.name, parts.slice(), false); } });
      wrap.append(ctl.el);
    });
    return { el: wrap };
  }
  const min = spec.min ?? 0;
  const max = spec.max ?? Math.max(1, 10 * Math.abs(value || 1));
  const log = spec.log || (min > 0 && max / min >= 1000);
  return slider({ text: spec.name, unit: spec.unit, min, max, value, log, integer: spec.kind === "integer",
                  name: spec.name,
                  onInput: (v) => onChange(spec.name, v, true), onChange: (v) => onChange(spec.name, v, false) });
}

function setRun(i, changes, moving) {
  const runs = state.get().runs.map((r, j) => (j === i ? { ...r, ...changes } : r));
  state.update({ runs, replay: -1 }, { silent: true });
  if (moving) refreshRunsSoon(); else refreshRuns();
}

function pickerValue(run) {
  return run.hp && run.hp.line_search ? `ls:${run.hp.line_search}` : run.optimizer;
}

function runCard(run, i, optimizers) {
  const card = document.createElement("div");
  card.className = "run-card";
  card.dataset.run = String(i);
  card.style.borderLeftColor = COLORS[i % COLORS.length];
  const lineSearch = run.hp && run.hp.line_search;
  const spec = catalog.optimizer(run.optimizer) || optimizers[0];
  const options = optimizers.map((o) => [o.name, o.name]);
  for (const ls of catalog.lineSearchNames()) options.push([`ls:${ls}`, `gd + ${ls} line search`]);
  const pick = select({
    key: "optimizer",
    options,
    value: pickerValue(run),
    name: "optimizer",
    onChange: (value) => {
      // the lr just tuned stays where the new rule allows it; else its default, and a line says so
      const name = value.startsWith("ls:") ? "gd" : value;
      const next = catalog.optimizer(name).lr;
      const keep = Number.isFinite(run.lr) && run.lr >= next.min && run.lr <= next.max;
      const lr = keep ? run.lr : next.default;
      const hp = value.startsWith("ls:") ? { line_search: value.slice(3) } : {};
      setRun(i, { optimizer: name, lr, hp }, false);
      notes[i] = keep || hp.line_search ? null
        : t("lr_changed").replace("{from}", fmt(run.lr, 3)).replace("{to}", fmt(lr, 3)).replace("{name}", name);
      buildRuns();
    },
  });
  const remove = button("remove", () => {
    const runs = state.get().runs.filter((_, j) => j !== i);
    state.update({ runs, replay: -1 }, { silent: true });
    notes = [];
    buildRuns();
    refreshRuns();
  }, "remove");
  const top = document.createElement("div");
  top.className = "card-top";
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.style.background = COLORS[i % COLORS.length];
  top.append(swatch, pick.el, remove);
  card.append(top);
  if (notes[i]) {
    const note = document.createElement("div");
    note.className = "message note";
    note.textContent = notes[i];
    card.append(note);
  }
  if (lineSearch) return card; // the line search sets each step; gd has nothing else to tune here
  const lr = slider({
    key: "lr", min: spec.lr.min, max: spec.lr.max, value: run.lr, log: true, name: "lr",
    onInput: (v) => setRun(i, { lr: v }, true),
    onChange: (v) => setRun(i, { lr: v }, false),
  });
  card.append(lr.el);
  const tunable = spec.hyperparameters.filter((h) => h.kind !== "choice" || h.choices);
  if (tunable.length) {
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.dataset.names = tunable.map((h) => h.name).join(", ");
    summary.textContent = `${t("hyperparameters")}: ${summary.dataset.names}`;
    details.append(summary);
    if (Object.keys(run.hp).length) details.open = true;
    for (const h of tunable) {
      const ctl = hyperControl(run, h, (name, v, moving) => {
        const hp = { ...state.get().runs[i].hp, [name]: v };
        setRun(i, { hp }, moving);
      });
      details.append(ctl.el);
    }
    card.append(details);
  }
  return card;
}

let notes = []; // per run card: the line saying its lr changed with its optimizer

function buildRuns() {
  catalog.loadOptimizers().then((optimizers) => {
    els.runs.replaceChildren(...state.get().runs.map((r, i) => runCard(r, i, optimizers)));
    apply(els.runs);
  });
}

function problemOptions(problems) {
  const two = problems.filter((p) => p.dim === 2);
  return [...two.map((p) => [p.name, p.name]), ["expression", t("own_function"), "own_function"]];
}

function buildControls(problems) {
  const s = state.get();
  const c = els.controls;
  c.replaceChildren();
  const pick = select({
    key: "problem", options: problemOptions(problems), value: s.problem, name: "problem",
    onChange: (name) => {
      state.update({ problem: name, start: null, replay: -1 }, { silent: true });
      els.exprRow.hidden = name !== "expression";
      refreshAll();
    },
  });
  c.append(pick.el);
  const about = document.createElement("div");
  about.className = "range problem-about";
  about.textContent = (catalog.problem(s.problem) || {}).description || "";
  pick.input.addEventListener("change", () => { about.textContent = (catalog.problem(pick.get()) || {}).description || ""; });
  c.append(about);

  const go = button("draw", () => {
    state.update({ problem: "expression", expr: input.value, start: null, replay: -1 }, { silent: true });
    pick.set("expression");
    refreshAll();
  }, "draw");
  go.id = "land-expr-draw";
  const { el: exprRow, input, allowed } = formulaInput({ id: "land-expr", key: "expression", value: s.expr,
                                                         placeholder: "x**2/20 + y**2",
                                                         syntax: catalog.syntaxLine(["x", "y"]), beside: [go] });
  els.syntax = allowed;
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") go.click(); });
  exprRow.hidden = s.problem !== "expression";
  els.exprRow = exprRow;
  c.append(exprRow);
  els.exprError = messageBox();
  els.exprError.el.id = "land-expr-error";
  c.append(els.exprError.el);

  const start = startPoint(s);
  // a typed start counts on Enter and when the box is left (the "change" event), as a click does
  const sx = number({ text: "x₀", value: start[0], name: "start-x", onChange: (v) => setStart([v, startPoint()[1]]) });
  const sy = number({ text: "y₀", value: start[1], name: "start-y", onChange: (v) => setStart([startPoint()[0], v]) });
  const startRow = document.createElement("fieldset");
  const legend = document.createElement("legend");
  legend.dataset.i18n = "start";
  startRow.className = "start";
  startRow.append(legend, sx.el, sy.el);
  els.startInputs = [sx, sy];
  c.append(startRow);

  const steps = slider({ key: "steps", min: 1, max: MAX_STEPS, value: s.steps, log: true, integer: true,
                         name: "steps",
                         onInput: (v) => { state.update({ steps: v, replay: -1 }, { silent: true }); refreshRunsSoon(); },
                         onChange: (v) => { state.update({ steps: v, replay: -1 }, { silent: true }); refreshRuns(); } });
  c.append(steps.el);
  const tol = slider({ key: "tolerance", min: 1e-12, max: 1, value: s.gtol > 0 ? s.gtol : 1e-6, log: true,
                       name: "gtol",
                       onInput: (v) => { if (useTol.get()) { state.update({ gtol: v }, { silent: true }); refreshRunsSoon(); } },
                       onChange: (v) => { if (useTol.get()) { state.update({ gtol: v }, { silent: true }); refreshRuns(); } } });
  const useTol = checkbox({ key: "use_tolerance", value: s.gtol > 0, name: "use-gtol",
                            onChange: (on) => { state.update({ gtol: on ? tol.get() : 0 }, { silent: true }); refreshRuns(); } });
  c.append(useTol.el, tol.el);

  const head = document.createElement("h3");
  head.dataset.i18n = "optimizers";
  c.append(head);
  els.runs = document.createElement("div");
  els.runs.className = "runs";
  c.append(els.runs);
  const add = button("add_optimizer", () => {
    if (state.get().runs.length >= MAX_RUNS) {
      els.runError.show(`${MAX_RUNS} optimizers at most in one race (the server's limit on runs)`);
      return;
    }
    catalog.loadOptimizers().then((optimizers) => {
      const used = new Set(state.get().runs.map((r) => r.optimizer));
      const o = optimizers.find((x) => !used.has(x.name)) || optimizers[0];
      state.update({ runs: [...state.get().runs, { optimizer: o.name, lr: o.lr.default, hp: {} }], replay: -1 }, { silent: true });
      buildRuns();
      refreshRuns();
    });
  }, "add");
  add.id = "land-add";
  c.append(add);
  els.runError = messageBox();
  c.append(els.runError.el);
  buildRuns();
  apply(c);
}

function buildToolbar() {
  const bar = els.toolbar;
  bar.replaceChildren();
  const view = select({
    key: "view", options: [["2d", "contours", "view_2d"], ...(options.threeD ? [["3d", "3-D", "view_3d"]] : [])],
    value: state.get().view, name: "view",
    onChange: (v) => { state.update({ view: v }, { silent: true }); drawSoon(); },
  });
  els.playButton = button("play", play, "play");
  els.playButton.id = "land-play";
  const back = button("step_back", () => { stop(); setReplay((state.get().replay >= 0 ? state.get().replay : longest()) - 1); });
  const fwd = button("step", () => { stop(); const k = state.get().replay; setReplay(k >= 0 ? k + 1 : 0); });
  fwd.id = "land-step";
  els.replay = slider({ key: "replay", min: 0, max: 1, value: 1, integer: true, step: 1, name: "replay",
                        onInput: (v) => { stop(); setReplay(v); }, onChange: (v) => { stop(); setReplay(v); } });
  bar.append(view.el, els.playButton, back, fwd, els.replay.el);
  apply(bar);
}

// ---- a new start: a click, a drag of the start marker, or typed -------------------------

/**
 * A new start: the address, the boxes, the runs asked for. The figure is drawn when the runs from
 * the new start arrive (marker and paths together, ~one request later), so that while the marker is
 * dragged the page's time goes to the requests and not to redrawing paths that did not move.
 */
function setStart(p) {
  state.update({ start: p, replay: -1 }, { silent: true });
  els.startInputs[0].set(p[0]);
  els.startInputs[1].set(p[1]);
  if (!race.refreshRuns()) { drawSoon(); return; } // nothing asked (no runs): the marker moves alone
  internals.refresh();
}

/** The point under a pointer event in the upper figure's coordinates, or null outside its plot area. */
function pointAt(event) {
  const layout = els.paths._fullLayout;
  if (!layout || !layout.xaxis || !layout.yaxis || state.get().view !== "2d" || !view.grid) return null;
  const xa = layout.xaxis;
  const ya = layout.yaxis;
  const box = els.paths.getBoundingClientRect();
  const px = event.clientX - box.left - xa._offset;
  const py = event.clientY - box.top - ya._offset;
  if (px < 0 || px > xa._length || py < 0 || py > ya._length) return null;
  return { x: xa.p2c(px), y: ya.p2c(py), px, py };
}

/** Whether the pointer is on the start marker (within a finger's width of it). */
function onMarker(p) {
  const layout = els.paths._fullLayout;
  const [sx, sy] = startPoint();
  const dx = layout.xaxis.c2p(sx) - p.px;
  const dy = layout.yaxis.c2p(sy) - p.py;
  return dx * dx + dy * dy <= 16 * 16;
}

const rounded = (p) => [Number(p.x.toPrecision(5)), Number(p.y.toPrecision(5))];

let pressed = null; // {x, y, drag}: where the primary button went down on the figure

function onPointerDown(event) {
  if (event.button !== 0 || !event.isPrimary) return;
  const p = pointAt(event);
  if (!p) return;
  pressed = { x: event.clientX, y: event.clientY, drag: onMarker(p) };
  if (pressed.drag) {
    // the start marker is the handle: plotly does not get this press (no zoom box), the paths follow
    event.preventDefault();
    event.stopPropagation();
    try { els.paths.setPointerCapture(event.pointerId); } catch (err) { /* a synthetic pointer: no capture */ }
    els.plot.classList.add("dragging");
    els.plot.dataset.dragUpdates = "0";
  }
}

function onPointerMove(event) {
  if (pressed && pressed.drag) {
    const p = pointAt(event);
    if (p) setStart(rounded(p));
    return;
  }
  // the cursor says the marker can be taken
  const p = !pressed && pointAt(event);
  const drag = els.paths.querySelector(".nsewdrag");
  if (drag) drag.style.cursor = p && onMarker(p) ? "grab" : "";
}

function onPointerUp(event) {
  const was = pressed;
  pressed = null;
  if (!was) return;
  if (was.drag) {
    els.plot.classList.remove("dragging");
    const p = pointAt(event);
    if (p) setStart(rounded(p));
    return;
  }
  // a click (no drag: a drag is plotly's zoom box) sets the start where it landed
  if (Math.hypot(event.clientX - was.x, event.clientY - was.y) > 4) return;
  const p = pointAt(event);
  if (p) setStart(rounded(p));
}

/**
 * Keep from the address only what the server offers: a link may be old, or typed by hand.
 * Unknown problems, optimizers and hyperparameters are dropped (the defaults stand in).
 */
function checkState(problems) {
  const s = state.get();
  const changes = {};
  if (s.problem !== "expression" && !problems.some((p) => p.name === s.problem && p.dim === 2)) {
    changes.problem = state.defaults().problem;
  }
  const searches = catalog.lineSearchNames();
  const runs = s.runs.filter((r) => catalog.optimizer(r.optimizer)).slice(0, MAX_RUNS).map((r) => {
    const known = new Set(catalog.optimizer(r.optimizer).hyperparameters.map((h) => h.name));
    const hp = {};
    for (const [k, v] of Object.entries(r.hp || {})) {
      if (known.has(k) || (k === "line_search" && r.optimizer === "gd" && searches.includes(v))) hp[k] = v;
    }
    return { optimizer: r.optimizer, lr: Number.isFinite(r.lr) && r.lr > 0 ? r.lr : catalog.optimizer(r.optimizer).lr.default, hp };
  });
  if (JSON.stringify(runs) !== JSON.stringify(s.runs)) changes.runs = runs;
  if (Object.keys(changes).length) state.update(changes, { silent: true });
}

/** Load a learning rate into run `i` (the learning-rate panel's click). */
export function loadLearningRate(i, lr) {
  setRun(i, { lr }, false);
  buildRuns();
}

/**
 * Start the panel in `root` (the page; a notebook widget gives its own element holding the same
 * section of index.html). `threeD: false` leaves out the 3-D view.
 */
export async function init({ root = document, threeD = true } = {}) {
  options = { threeD };
  const find = (id) => root.querySelector(`#${id}`);
  els = {
    controls: find("land-controls"),
    toolbar: find("land-toolbar"),
    plot: find("land-plot"),
    status: find("land-status"),
    internals: find("land-internals"),
    internalsPick: find("land-internals-pick"),
  };
  const [problems] = await Promise.all([catalog.loadProblems(), catalog.loadOptimizers()]);
  checkState(problems);
  buildControls(problems);
  buildToolbar();
  internals.init(els.internals, els.internalsPick);
  race.hooks.drawn = () => {
    if (pressed && pressed.drag) els.plot.dataset.dragUpdates = String(Number(els.plot.dataset.dragUpdates || 0) + 1);
    draw(); // the server's answer is drawn at once (not at the next frame): a click's paths ~8 ms sooner
  };
  race.hooks.gridError = (message, body = null) => {
    els.exprError.el.dataset.raw = message || "";
    gridErrorBody = body;
    if (message) els.exprError.show(catalog.formulaMessage(message, body)); else els.exprError.clear();
  };
  race.hooks.runsError = (message) => (message ? els.runError.show(message) : els.runError.clear());
  refreshAll(); // the requests go out now; the drawing waits for plotly.js
  await ready;
  // the contours below, the paths above (see "the drawing"); both fill #land-plot
  els.surface = document.createElement("div");
  els.surface.id = "land-surface";
  els.surface.className = "layer";
  els.paths = document.createElement("div");
  els.paths.id = "land-paths";
  els.paths.className = "layer";
  els.plot.replaceChildren(els.surface, els.paths);
  window.Plotly.newPlot(els.paths, [], withToolbar({ margin: { t: 10 } }), CONFIG);
  els.paths.on("plotly_afterplot", () => requestAnimationFrame(drawSurface));
  els.paths.on("plotly_relayout", () => requestAnimationFrame(drawSurface));
  els.paths.addEventListener("pointerdown", onPointerDown, { capture: true });
  els.paths.addEventListener("pointermove", onPointerMove);
  window.addEventListener("pointerup", onPointerUp, { capture: true });
  window.addEventListener("pointercancel", () => { pressed = null; els.plot.classList.remove("dragging"); });
  draw();
}

/** Rebuild the controls from the state (after the address changed under the page). */
export function reload() {
  catalog.loadProblems().then((problems) => { checkState(problems); buildControls(problems); buildToolbar(); refreshAll(); });
}

/** The language changed: redraw the figures whose texts come from the catalogue of labels. */
export function relabel() {
  if (els.syntax) els.syntax.textContent = catalog.syntaxLine(["x", "y"]);
  if (els.runs) buildRuns(); // the hyperparameters' summaries
  const message = els.exprError && !els.exprError.el.hidden && els.exprError.el.dataset.raw;
  if (message) els.exprError.show(catalog.formulaMessage(message, gridErrorBody));
  internals.relabel();
  draw();
}

/** The panel is on screen again: its figures fit their size (they had none while hidden). */
export function show() {
  if (!els.paths || !window.Plotly) return;
  window.Plotly.Plots.resize(els.paths);
  drawSoon();
}
