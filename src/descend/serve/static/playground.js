// Panel 4, the training playground: a small network on a 2-D data set, trained by descend on
// the server (POST /api/train/start, then /api/train/step frames, polled one at a time).
// The page draws each frame: the network's output on a grid as a heat map, and the losses; and
// the frames' curvature (the sharpness against 2/η, the loss along the line from the initial
// weights) through curvature.js.

import { call } from "./api.js";
import * as catalog from "./catalog.js";
import * as curvature from "./curvature.js";
import { button, fmt, messageBox, number, select, slider } from "./controls.js";
import { apply, t } from "./i18n.js";
import { CONFIG, ready, withToolbar } from "./plotting.js";
import * as state from "./state.js";

let els = {};
let info = null; // GET /api/datasets
let session = null;
let running = false;
let history = { step: [], train: [], test: [] };
let frames = []; // arrival times of the last frames, for frames/s
let generation = 0; // a new configuration makes frames of an older session stale
let lastFrame = null;

/**
 * The training request of the state on screen. A notebook widget's state may carry what the panel
 * has no control for: `thp`, the optimizer's hyperparameters (dropped when the optimizer changes),
 * and `textra`, other settings of the request (test_fraction, curvature_every); the page has neither.
 */
function config() {
  const s = state.get();
  const batch = s.batch === "one" ? 1 : s.batch === "full" ? null : s.k;
  return { ...(s.textra || {}), ...(s.thp || {}), dataset: s.data, n: s.n, noise: s.noise, hidden: s.layers,
           activation: s.act, optimizer: s.topt, lr: s.tlr, batch_size: batch, seed: s.seed, grid: 50 };
}

/** The training request (what export sends too). */
export function trainSpec() {
  return config();
}

/**
 * What the Training export reproduces: the configuration on screen (data set, seed, architecture,
 * optimizer) and how far the page has trained it: `epochs` (whole epochs; the page's epoch rounded,
 * at least 1) and `updates` (the updates the page made: the server's export takes epochs only for
 * now, so `updates` and `epoch` go to the caller, which says when the two differ).
 */
export function exportSpec() {
  const epoch = lastFrame ? Number(lastFrame.epoch) : 0;
  return { spec: { ...config(), epochs: Math.max(1, Math.round(epoch)) }, epoch, updates: lastFrame ? lastFrame.step : 0,
           accuracy: lastFrame ? lastFrame.test_accuracy : null };
}

function updatesPerFrame() {
  return Math.max(1, Math.round(state.get().speed || 5));
}

async function start() {
  const mine = ++generation;
  if (session) call("train/stop", { session }).catch(() => {});
  session = null;
  history = { step: [], train: [], test: [] };
  lossesShown = 0;
  curvature.reset();
  try {
    const data = await call("train/start", config());
    if (mine !== generation) { call("train/stop", { session: data.session }).catch(() => {}); return false; }
    els.error.clear();
    session = data.session;
    drawData(data.data);
    drawFrame(data.frame);
    return true;
  } catch (err) {
    if (mine === generation) { els.error.show(err.message); stopPlaying(); }
    return false;
  }
}

/**
 * Ask for a frame after `updates` more updates: the frame; null after an error (shown);
 * undefined when the configuration changed meanwhile (the frame belongs to an old session).
 * `measure`: the curvature at the frame's weights, not only every `curvature_every` updates.
 */
async function ask(updates, measure = false) {
  if (!session && !(await start())) return null;
  const mine = generation;
  try {
    const data = await call("train/step", measure ? { session, updates, measure } : { session, updates });
    return mine === generation ? data.frame : undefined;
  } catch (err) {
    if (mine !== generation) return undefined;
    els.error.show(err.message);
    stopPlaying();
    session = null;
    return null;
  }
}

function present(frame) {
  drawFrame(frame);
  if (frame.status === "diverged") { els.error.show(`${t("diverged")}: ${frame.message || ""}`); stopPlaying(); }
}

async function step(updates) {
  const frame = await ask(updates, true); // one update at a time: its sharpness each time
  if (frame) present(frame);
}

let looping = false;

async function loop() {
  // one request in flight: the next frame is asked for while this one is drawn, and every
  // frame asked for is drawn (a pause shows the last one that was on its way)
  looping = true;
  let next = ask(updatesPerFrame());
  for (;;) {
    const frame = await next;
    if (frame === undefined && running) { next = ask(updatesPerFrame()); continue; } // a new session
    if (!frame) break;
    const more = running;
    if (more) next = ask(updatesPerFrame());
    present(frame);
    if (!more) break;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  looping = false;
}

function play() {
  if (running) { stopPlaying(); return; }
  running = true;
  els.play.dataset.i18n = "pause";
  apply(els.toolbar);
  if (!looping) loop();
}

function stopPlaying() {
  running = false;
  if (els.play) { els.play.dataset.i18n = "play"; apply(els.toolbar); }
}

function restart() {
  // a new configuration: a fresh session from the seed (the same seed gives the same run)
  const wasRunning = running;
  stopPlaying();
  start().then((ok) => { if (ok && wasRunning) play(); });
}

// ---- drawing -----------------------------------------------------------------------------

function isRegression() {
  const d = info && info.datasets.find((x) => x.name === state.get().data);
  return d ? d.task === "regression" : state.get().data === "linear";
}

function drawData(data) {
  const regression = isRegression();
  const points = (part, open) => ({
    type: "scatter", mode: "markers", name: open ? t("test_loss").split(" ")[0] : "train",
    x: part.X.map((p) => p[0]), y: part.X.map((p) => p[1]),
    marker: regression
      ? { color: part.y, colorscale: "Viridis", size: 6, line: { width: 1, color: "#fff" }, symbol: open ? "circle-open" : "circle" }
      : { color: part.y.map((c) => (c ? "#0b3d91" : "#b34700")), size: 6, symbol: open ? "circle-open" : "circle",
          line: { width: open ? 1.5 : 0.8, color: open ? undefined : "#fff" } },
    hoverinfo: "skip", showlegend: false,
  });
  els.dataTraces = [points(data.train, false), points(data.test, true)];
}

// The heat map is a picture under the data points (a plotly layout image): a new frame
// replaces only the picture, so the 500 points and the axes are not drawn again.
const CLASS_COLORS = [[0, [246, 178, 122]], [0.5, [248, 248, 248]], [1, [140, 172, 226]]]; // pale under the points
const VALUE_COLORS = [[0, [68, 1, 84]], [0.5, [33, 145, 140]], [1, [253, 231, 37]]];
const canvas = document.createElement("canvas");
let boundaryKey = "";

function colour(stops, u) {
  let k = 1;
  while (k < stops.length - 1 && u > stops[k][0]) k += 1;
  const [u0, c0] = stops[k - 1];
  const [u1, c1] = stops[k];
  const w = Math.min(1, Math.max(0, (u - u0) / (u1 - u0)));
  return [0, 1, 2].map((i) => Math.round(c0[i] + w * (c1[i] - c0[i])));
}

function heatPicture(g, regression) {
  const nx = g.x.length;
  const ny = g.y.length;
  let lo = 0;
  let hi = 1;
  if (regression) {
    const values = g.z.flat().filter((v) => v !== null);
    lo = Math.min(...values);
    hi = Math.max(...values);
    if (!(hi > lo)) hi = lo + 1;
  }
  canvas.width = nx;
  canvas.height = ny;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(nx, ny);
  const stops = regression ? VALUE_COLORS : CLASS_COLORS;
  for (let i = 0; i < ny; i++) {
    const row = g.z[i];
    const top = ny - 1 - i; // the picture's first row is the largest y
    for (let j = 0; j < nx; j++) {
      const v = row[j];
      const [r, gr, b] = v === null ? [200, 200, 200] : colour(stops, (v - lo) / (hi - lo));
      const p = 4 * (top * nx + j);
      img.data[p] = r; img.data[p + 1] = gr; img.data[p + 2] = b; img.data[p + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return canvas.toDataURL("image/png");
}

function drawBoundary(g) {
  const regression = isRegression();
  const source = heatPicture(g, regression);
  const nx = g.x.length;
  const ny = g.y.length;
  const dx = (g.x[nx - 1] - g.x[0]) / Math.max(1, nx - 1);
  const dy = (g.y[ny - 1] - g.y[0]) / Math.max(1, ny - 1);
  const x0 = g.x[0] - dx / 2;
  const x1 = g.x[nx - 1] + dx / 2;
  const y0 = g.y[0] - dy / 2;
  const y1 = g.y[ny - 1] + dy / 2;
  const key = [x0, x1, y0, y1, regression].join();
  els.boundary.dataset.picture = String(Number(els.boundary.dataset.picture || 0) + 1);
  els.boundary.dataset.source = source;
  if (key === boundaryKey && els.drawnTraces === els.dataTraces) {
    window.Plotly.relayout(els.boundary, { "images[0].source": source });
    return;
  }
  boundaryKey = key;
  els.drawnTraces = els.dataTraces;
  window.Plotly.react(els.boundary, els.dataTraces || [], {
    margin: { l: 35, r: 10, t: 10, b: 30 },
    xaxis: { range: [x0, x1], constrain: "domain", showgrid: false, zeroline: false },
    yaxis: { range: [y0, y1], scaleanchor: "x", constrain: "domain", showgrid: false, zeroline: false },
    images: [{ source, xref: "x", yref: "y", x: x0, y: y1, sizex: x1 - x0, sizey: y1 - y0, sizing: "stretch",
               layer: "below" }],
    uirevision: "boundary",
  }, CONFIG);
}

let lossesShown = 0; // points of `history` already on the loss plot

function drawLosses(frame) {
  const n = history.step.length;
  if (lossesShown > 0 && n > lossesShown) {
    // only the new points travel to the plot (a frame must stay cheap at 10+ frames/s)
    window.Plotly.extendTraces(els.loss, { x: [history.step.slice(lossesShown), history.step.slice(lossesShown)],
                                           y: [history.train.slice(lossesShown), history.test.slice(lossesShown)] }, [0, 1]);
    lossesShown = n;
    return;
  }
  if (lossesShown > 0 && n === lossesShown) return;
  window.Plotly.react(els.loss, [
    { type: "scatter", mode: "lines", name: t("train_loss"), x: history.step.slice(), y: history.train.slice(), line: { color: "#1f77b4" } },
    { type: "scatter", mode: "lines", name: t("test_loss"), x: history.step.slice(), y: history.test.slice(), line: { color: "#d62728" } },
  ], withToolbar({
    margin: { l: 50, r: 10, t: 30, b: 40 }, xaxis: { title: { text: t("updates_axis") } },
    yaxis: { type: "log", title: { text: t("loss") }, exponentformat: "power" },
    legend: { orientation: "h", x: 0, y: 1.01, yanchor: "bottom" },
  }), CONFIG);
  lossesShown = n;
}

function drawFrame(frame) {
  const began = performance.now();
  lastFrame = frame;
  const now = performance.now();
  frames.push(now);
  while (frames.length > 20) frames.shift();
  if (history.step.length === 0 || frame.step > history.step[history.step.length - 1]) {
    history.step.push(frame.step);
    history.train.push(frame.train_loss);
    history.test.push(frame.test_loss);
  }
  drawBoundary(frame.grid);
  drawLosses(frame);
  const fps = frames.length > 1 ? (1000 * (frames.length - 1)) / (frames[frames.length - 1] - frames[0]) : 0;
  els.status.replaceChildren();
  const items = [[t("epoch"), fmt(frame.epoch, 3)], [t("updates_axis"), String(frame.step)],
                 [t("train_loss"), fmt(frame.train_loss, 4)], [t("test_loss"), fmt(frame.test_loss, 4)]];
  if (frame.test_accuracy !== null && frame.test_accuracy !== undefined) {
    items.push([t("test_accuracy"), `${(100 * frame.test_accuracy).toFixed(1)} %`]);
  }
  items.push(...curvature.draw(frame, state.get().topt));
  if (running) items.push([t("frames"), fps.toFixed(1)]);
  for (const [k, v] of items) {
    const span = document.createElement("span");
    span.className = "stat";
    const b = document.createElement("b");
    b.textContent = `${k}: `;
    span.append(b, v);
    els.status.append(span);
  }
  els.status.dataset.testLoss = String(frame.test_loss);
  els.status.dataset.step = String(frame.step);
  els.status.dataset.fps = fps.toFixed(2);
  els.status.dataset.drawMs = (performance.now() - began).toFixed(1);
}

// ---- controls ----------------------------------------------------------------------------

function change(changes) {
  state.update(changes, { silent: true });
  restart();
}

function buildControls(optimizers) {
  const s = state.get();
  const c = els.controls;
  const lim = info.limits || {};
  const [nMin, nMax] = lim.n || [20, 2000];
  const [noiseMin, noiseMax] = lim.noise || [0, 1];
  const [, layersMax] = lim.hidden_layers || [0, 4];
  const [wMin, wMax] = lim.width || [1, 32];
  c.replaceChildren();
  const data = select({ key: "dataset", name: "dataset", value: s.data, options: info.datasets.map((d) => [d.name, d.name]),
                        onChange: (v) => change({ data: v }) });
  const noise = slider({ key: "noise", min: noiseMin, max: noiseMax, value: s.noise, step: 0.01, name: "noise",
                         onChange: (v) => change({ noise: v }) });
  const size = slider({ key: "size", min: nMin, max: nMax, value: s.n, integer: true, step: 10, name: "n",
                        onChange: (v) => change({ n: v }) });
  c.append(data.el, noise.el, size.el);

  const layers = document.createElement("fieldset");
  const legend = document.createElement("legend");
  legend.dataset.i18n = "layers";
  layers.append(legend);
  const count = slider({ key: "layer_count", min: 0, max: layersMax, value: s.layers.length, integer: true, step: 1,
                         name: "depth",
                         onChange: (v) => {
                           const next = s.layers.slice(0, v);
                           while (next.length < v) next.push(next[next.length - 1] || 8);
                           change({ layers: next });
                           buildControls(optimizers);
                         } });
  layers.append(count.el);
  s.layers.forEach((w, i) => {
    const width = slider({ text: `${i + 1}`, unit: "units", min: wMin, max: wMax, value: w, integer: true, step: 1,
                           name: `width-${i}`,
                           onChange: (v) => { const next = state.get().layers.slice(); next[i] = v; change({ layers: next }); } });
    layers.append(width.el);
  });
  c.append(layers);

  const act = select({ key: "activation", name: "activation", value: s.act, options: info.activations.map((a) => [a, a]),
                       onChange: (v) => change({ act: v }) });
  const opt = select({ key: "optimizer", name: "train-optimizer", value: s.topt, options: optimizers.map((o) => [o.name, o.name]),
                       onChange: (v) => {
                         // another optimizer: its own default lr, and none of the last one's hyperparameters
                         change({ topt: v, tlr: catalog.optimizer(v).lr.default, ...(s.thp ? { thp: {} } : {}) });
                         buildControls(optimizers);
                       } });
  const spec = catalog.optimizer(s.topt) || optimizers[0];
  const lr = slider({ key: "lr", min: spec.lr.min, max: spec.lr.max, value: s.tlr, log: true, name: "train-lr",
                      onChange: (v) => change({ tlr: v }) });
  const batch = select({ key: "batch", name: "batch", value: s.batch,
                         options: [["one", "1", "batch_one"], ["k", "k", "batch_k"], ["full", "full", "batch_full"]],
                         onChange: (v) => { change({ batch: v }); buildControls(optimizers); } });
  c.append(act.el, opt.el, lr.el, batch.el);
  if (s.batch === "k") {
    const k = slider({ key: "batch_k_value", unit: "samples", min: 2, max: 256, value: s.k, integer: true, log: true, name: "k",
                       onChange: (v) => change({ k: v }) });
    c.append(k.el);
  }
  const seed = number({ key: "seed", min: 0, max: 2 ** 31 - 1, value: s.seed, integer: true, name: "seed",
                        onChange: (v) => change({ seed: v }) });
  const speed = slider({ key: "updates_per_frame", min: 1, max: Math.min(100, (lim.updates || [1, 500])[1]),
                         value: s.speed || 5, integer: true, step: 1, name: "speed",
                         onChange: (v) => state.update({ speed: v }, { silent: true }) });
  els.error = els.error || messageBox();
  c.append(seed.el, speed.el, els.error.el);
  apply(c);
}

function buildToolbar() {
  els.toolbar.replaceChildren();
  els.play = button("play", play, "primary");
  els.play.id = "train-play";
  const one = button("step", () => { stopPlaying(); step(1); });
  one.id = "train-step";
  const reset = button("reset", () => { stopPlaying(); start(); });
  reset.id = "train-reset";
  els.toolbar.append(els.play, one, reset);
  apply(els.toolbar);
}

/**
 * Start the panel in `root` (the page, or a notebook widget's element holding its section of
 * index.html): its `#train-*` elements are looked up there.
 */
export async function init({ root = document } = {}) {
  await ready;
  const find = (id) => root.querySelector(`#${id}`);
  els = { controls: find("train-controls"), toolbar: find("train-toolbar"), boundary: find("train-boundary"),
          loss: find("train-loss"), status: find("train-status") };
  curvature.create(els.status);
  const [data, optimizers] = await Promise.all([call("datasets"), catalog.loadOptimizers()]);
  info = data;
  buildControls(optimizers);
  buildToolbar();
  await start();
}

export function hide() {
  stopPlaying();
}

export function reload() {
  if (!info) return;
  catalog.loadOptimizers().then((optimizers) => { buildControls(optimizers); restart(); });
}

export function relabel() {
  lossesShown = 0; // redraw the loss plot whole, with the labels in the new language
  curvature.relabel();
  if (info) catalog.loadOptimizers().then(buildControls);
  if (lastFrame) drawFrame(lastFrame);
}
