// Panel 2, the learning rate: for the landscape's problem, start and optimizers, the final
// loss against lr (one batched descend.minimize per optimizer on the server), diverged runs
// marked, and the 2/L bound of descend.lr_find. A click loads that lr into the landscape.

import { call, latestOnly } from "./api.js";
import * as catalog from "./catalog.js";
import { button, fmt, messageBox, slider } from "./controls.js";
import { apply, t } from "./i18n.js";
import * as landscape from "./landscape.js";
import { CONFIG, ready, withToolbar } from "./plotting.js";
import * as state from "./state.js";

let els = {};
let lastBody = "";
let order = []; // curve k belongs to landscape run order[k]
let lastData = null; // the last answer drawn (redrawn in another language without asking again)

function body() {
  const s = state.get();
  order = [];
  const optimizers = [];
  s.runs.forEach((run, i) => {
    if (run.hp.line_search) return; // a line search has no lr to sweep
    order.push(i);
    optimizers.push({ optimizer: run.optimizer, ...run.hp });
  });
  return { problem: landscape.problemSpec(s), start: s.start, steps: s.steps, optimizers,
           lrs: { min: s.lrmin, max: s.lrmax, points: s.lrn } };
}

const request = latestOnly(
  (b) => call("lr", b),
  (data) => { els.error.clear(); lastData = data; draw(data); },
  (err) => { els.error.show(err.message); window.Plotly.purge(els.plot); els.plot.dataset.curves = "0"; },
);

function refresh(force = false) {
  const b = body();
  if (!b.optimizers.length) {
    els.error.show(t("add_optimizer"));
    return;
  }
  const key = JSON.stringify(b);
  if (!force && key === lastBody) return;
  lastBody = key;
  request(b);
}

function draw(data) {
  const s = state.get();
  const traces = [];
  // the y axis spans the runs that did not diverge; the diverged ones sit in a row above them
  const finite = [];
  for (const c of data.curves) c.final_f.forEach((v, j) => { if (v !== null && !c.diverged[j]) finite.push(v); });
  const positive = finite.length > 0 && finite.every((v) => v > 0);
  const hi = finite.length ? Math.max(...finite) : 1;
  const lo = finite.length ? Math.min(...finite) : 0;
  const top = positive ? hi * (hi / lo > 10 ? 10 : 2) : hi + 0.1 * (hi - lo || 1);
  data.curves.forEach((c, k) => {
    const i = order[k];
    const color = landscape.COLORS[i % landscape.COLORS.length];
    const run = s.runs[i];
    const ok = c.final_f.map((v, j) => (c.diverged[j] ? null : v));
    traces.push({ type: "scatter", mode: "lines+markers", name: landscape.runName(run), x: data.lrs, y: ok,
                  line: { color }, marker: { color, size: 6 }, customdata: data.lrs.map(() => k),
                  hovertemplate: `${landscape.runName(run)}<br>η = %{x:.3g}<br>${t("final_loss")} = %{y:.4g}<extra></extra>` });
    const bad = data.lrs.map((lr, j) => (c.diverged[j] ? lr : null)).filter((v) => v !== null);
    if (bad.length) {
      traces.push({ type: "scatter", mode: "markers", name: `${landscape.runName(run)}: ${t("diverged")}`, x: bad,
                    y: bad.map(() => (positive ? top * 1.8 ** k : top + 0.06 * k * (hi - lo || 1))), marker: { symbol: "x", size: 9, color }, customdata: bad.map(() => k),
                    hovertemplate: `${landscape.runName(run)}<br>η = %{x:.3g}<br>${t("diverged")}<extra></extra>` });
    }
  });
  // the x axis covers the grid asked for, whatever the bound; every tick in one notation (10^k)
  const lrs = data.lrs.length ? data.lrs : [s.lrmin, s.lrmax];
  const layout = withToolbar({
    margin: { l: 60, r: 10, t: 40, b: 50 },
    xaxis: { type: "log", title: { text: t("lr") }, range: [Math.log10(lrs[0]) - PAD, Math.log10(lrs[lrs.length - 1]) + PAD],
             exponentformat: "power", dtick: 1 },
    yaxis: { type: positive ? "log" : "linear", title: { text: t("final_loss") }, exponentformat: "power" },
    legend: { orientation: "h", x: 0, y: 1.01, yanchor: "bottom" },
    shapes: [],
    annotations: [],
    hovermode: "closest",
  });
  // 2/L only where the start's largest curvature L is positive and not tiny: else no bound to draw
  const bound = stableBound(data);
  const note = (text, x, xanchor) => layout.annotations.push({
    x, yref: "paper", y: 0, text, showarrow: false, xanchor, yanchor: "bottom", font: { size: 12 }, bgcolor: "rgba(255,255,255,0.85)" });
  if (bound === null) {
    note(t("no_bound"), layout.xaxis.range[0], "left");
  } else if (bound < lrs[0] || bound > lrs[lrs.length - 1]) {
    // outside the grid: said at the edge it lies beyond, the axis stays on the grid
    const right = bound > lrs[lrs.length - 1];
    note(`${right ? "" : "← "}2/L = ${fmt(bound, 3)}${right ? " →" : ""}`, layout.xaxis.range[right ? 1 : 0], right ? "right" : "left");
  } else {
    layout.shapes.push({ type: "line", x0: bound, x1: bound, yref: "paper", y0: 0, y1: 1,
                         line: { dash: "dash", color: "#444", width: 1.5 } });
    note(` 2/L = ${fmt(bound, 3)}`, Math.log10(bound), "left");
  }
  window.Plotly.react(els.plot, traces, layout, CONFIG);
  els.plot.dataset.curves = String(data.curves.length);
  els.plot.dataset.stableLr = bound === null ? "none" : String(bound);
}

const PAD = 0.05; // decades of room either side of the grid (a marker at its end is drawn whole)

/** Curvatures at or below this are "tiny": 2/L would be a bound no run comes near. */
const TINY_CURVATURE = 1e-6;

/** The 2/L bound of the answer, or null where the largest curvature L is <= 0, tiny or unknown. */
function stableBound(data) {
  const L = data.L;
  if (!(Number.isFinite(L) && L > TINY_CURVATURE)) return null;
  return Number.isFinite(data.stable_lr) && data.stable_lr > 0 ? data.stable_lr : 2 / L;
}

/** What a click on a curve does with (run, lr): the page loads it into the landscape and shows it. */
function loadIntoLandscape(i, lr) {
  landscape.loadLearningRate(i, lr);
  document.querySelector('[data-tab="landscape"]').click();
}

let pick = loadIntoLandscape;

function onClick(event) {
  const p = event.points && event.points[0];
  if (!p || p.customdata === undefined) return;
  pick(order[p.customdata], Number(Number(p.x).toPrecision(4)));
}

function buildControls() {
  const s = state.get();
  const c = els.controls;
  c.replaceChildren();
  const lo = slider({ key: "lr_min", min: 1e-8, max: 1e2, value: s.lrmin, log: true, name: "lrmin",
                      onChange: (v) => { state.update({ lrmin: Math.min(v, state.get().lrmax / 10) }, { silent: true }); refresh(); } });
  const hi = slider({ key: "lr_max", min: 1e-6, max: 1e3, value: s.lrmax, log: true, name: "lrmax",
                      onChange: (v) => { state.update({ lrmax: Math.max(v, state.get().lrmin * 10) }, { silent: true }); refresh(); } });
  const n = slider({ key: "lr_points", min: 2, max: 81, value: s.lrn, integer: true, step: 1, name: "lrn",
                     onChange: (v) => { state.update({ lrn: v }, { silent: true }); refresh(); } });
  const go = button("run", () => refresh(true), "primary");
  go.id = "lr-run";
  els.error = messageBox();
  c.append(lo.el, hi.el, n.el, go, els.error.el);
  apply(c);
}

/**
 * Start the panel in `root` (the page, or a notebook widget's element holding its section);
 * `onPick(run, lr)` is what a click on a curve does (the page: load that lr into the landscape).
 */
export async function init({ root = document, onPick = loadIntoLandscape } = {}) {
  pick = onPick;
  await ready;
  els = { controls: root.querySelector("#lr-controls"), plot: root.querySelector("#lr-plot") };
  await catalog.loadProblems();
  buildControls();
  window.Plotly.newPlot(els.plot, [], withToolbar({ margin: { t: 10 } }), CONFIG);
  els.plot.on("plotly_click", onClick);
  refresh(true);
}

export function show() {
  refresh();
}

export function reload() {
  buildControls();
  refresh(true);
}

export function relabel() {
  buildControls();
  if (lastData) draw(lastData);
}
