// The Training panel's curvature (issue 24): the sharpness over the updates against the optimizer's
// stability threshold (2/η for gradient descent), and the training loss along the line from the
// initial weights. Every number is the server's (the frames' `curvature` and `slice`, from
// descend.curvature); this module only keeps the measurements of the session on screen and draws them.

import { fmt } from "./controls.js";
import { t } from "./i18n.js";
import { CONFIG, withToolbar } from "./plotting.js";

let els = null;
let points = { step: [], value: [] }; // the measured sharpness (or Adam's preconditioned one), one per update count
let last = null; // the last measurement drawn (curvature of a frame)
let shown = 0; // points already on the plot
let drawnKey = ""; // what the plot was drawn for: a new session, rule or language draws it whole
let sliceStep = null; // the slice on screen (its step), so a frame with the same one draws nothing

const BLUE = "#1f77b4";
const RED = "#d62728";

function figure(id, titleKey, extra) {
  const box = document.createElement("div");
  const title = document.createElement("h3");
  title.dataset.i18n = titleKey;
  title.textContent = t(titleKey);
  const plot = document.createElement("div");
  plot.className = "plot square";
  plot.id = id;
  const note = document.createElement("p");
  note.className = "message note";
  note.hidden = true;
  const hint = document.createElement("p");
  hint.className = "hint";
  box.append(title, plot, note, hint, ...extra);
  return { box, title, plot, note, hint };
}

/**
 * Build the two figures after `anchor` (the panel's status line), wherever it is: the page, or a
 * notebook widget's element (this module keeps its elements, it looks none up in the document).
 */
export function create(anchor) {
  const row = document.createElement("div");
  row.className = "two train-curvature";
  row.id = "train-curvature";
  const sharp = figure("train-sharpness", "sharpness_title", []);
  const line = figure("train-slice", "slice_title", []);
  row.append(sharp.box, line.box);
  anchor.after(row);
  els = { sharp: sharp.plot, sharpTitle: sharp.title, sharpNote: sharp.note, sharpHint: sharp.hint, slice: line.plot,
          sliceNote: line.note, sliceHint: line.hint };
  relabelHints();
}

/** A new session: forget the measurements on screen. */
export function reset() {
  points = { step: [], value: [] };
  last = null;
  shown = 0;
  drawnKey = "";
  sliceStep = null;
}

/** Draw again whole, in the current language (the caller draws the last frame after this). */
export function relabel() {
  shown = 0;
  drawnKey = "";
  sliceStep = null;
  relabelHints();
}

function relabelHints() {
  if (!els) return;
  const every = last ? last.every : 10;
  els.sharpHint.textContent = t("sharpness_hint").replace("{every}", String(every));
  els.sliceHint.textContent = t("slice_hint");
}

function thresholdName(c) {
  return t("threshold").replace("{formula}", t(`rule.${c.rule}`));
}

function reasonText(c, optimizer) {
  return c.reason ? t(`curv_${c.reason}`).replace("{optimizer}", optimizer) : "";
}

function showNote(el, text) {
  el.textContent = text;
  el.hidden = !text;
}

function thresholdTrace(c) {
  // a constant (the learning rate does not change in a session): drawn across every update measured
  const x0 = points.step.length ? points.step[0] : c.step;
  const x1 = Math.max(points.step.length ? points.step[points.step.length - 1] : c.step, x0 + 1);
  return { type: "scatter", mode: "lines", name: thresholdName(c), x: [x0, x1], y: [c.threshold, c.threshold],
           line: { color: RED, dash: "dash", width: 2 }, hoverinfo: "name+y", showlegend: false };
}

function thresholdLabel(c) {
  // the line is labelled where it is drawn, from its left end: plotly measures text without the
  // page's Japanese font (a legend's second entry then covers its first, a right-aligned label runs
  // past the plot); on a log axis an annotation's y is log10
  return { text: thresholdName(c), xref: "paper", x: 0, xanchor: "left", xshift: 4, yref: "y", y: Math.log10(c.threshold),
           yanchor: "bottom", showarrow: false, font: { color: RED }, bgcolor: "rgba(255,255,255,0.8)" };
}

/**
 * A log axis labelled at 1, 2, 5 of each decade, each label the whole number ("0.5", "0.05", "20"): plotly's own
 * labels for these ticks are the digit alone ("5" for 0.5, and for 50), smaller, for an axis labelled 10^k
 * between them (d3's "~g": 1e-7 and 1e+6 from there on, as exponents).
 */
const DECADES = Object.freeze({ dtick: "D2", tickformat: "~g" });

/** Whether the numbers on the plot span more than a decade: its log axis is then labelled at 1, 2, 5 only. */
function wide(c) {
  const all = points.value.concat(c.threshold === null || c.threshold === undefined ? [] : [c.threshold])
    .filter((v) => v > 0);
  return all.length > 0 && Math.max(...all) > 10 * Math.min(...all);
}

function drawSharpness(c) {
  const n = points.step.length;
  const hasThreshold = c.threshold !== null && c.threshold !== undefined;
  const decades = wide(c);
  const key = [c.compare, c.rule, t("sharpness"), decades].join("|");
  if (key === drawnKey && shown > 0 && n > shown) {
    // only the new points travel to the plot; the threshold's line is stretched to the last one
    window.Plotly.extendTraces(els.sharp, { x: [points.step.slice(shown)], y: [points.value.slice(shown)] }, [0]);
    if (hasThreshold) {
      const th = thresholdTrace(c);
      window.Plotly.restyle(els.sharp, { x: [th.x], y: [th.y] }, [1]);
    }
    shown = n;
  } else if (key !== drawnKey || n !== shown) {
    const traces = [{ type: "scatter", mode: "lines+markers", name: t(c.compare), x: points.step.slice(),
                      y: points.value.slice(), line: { color: BLUE }, marker: { size: 4 }, showlegend: false }];
    if (hasThreshold) traces.push(thresholdTrace(c));
    window.Plotly.react(els.sharp, traces, withToolbar({
      margin: { l: 55, r: 10, t: 20, b: 40 }, xaxis: { title: { text: t("updates_axis") }, zeroline: false },
      yaxis: { type: "log", title: { text: t(c.compare) }, exponentformat: "power", ...(decades ? DECADES : {}) },
      annotations: hasThreshold ? [thresholdLabel(c)] : [], showlegend: false,
    }), CONFIG);
    drawnKey = key;
    shown = n;
  }
  els.sharp.dataset.points = String(n);
  els.sharp.dataset.threshold = hasThreshold ? String(c.threshold) : "";
  els.sharp.dataset.rule = c.rule || "";
  els.sharp.dataset.step = String(c.step);
}

function drawSlice(s) {
  if (s.step === sliceStep) return;
  sliceStep = s.step;
  const traces = [];
  const drawn = Boolean(s.alphas && s.loss);
  if (drawn) {
    const at = (a) => s.loss[s.alphas.indexOf(a)];
    traces.push({ type: "scatter", mode: "lines", name: t("loss"), x: s.alphas, y: s.loss, line: { color: BLUE },
                  showlegend: false });
    traces.push({ type: "scatter", mode: "markers+text", x: [0, 1], y: [at(0), at(1)],
                  text: [t("slice_initial"), t("slice_now")], textposition: "top center",
                  marker: { size: 9, color: [RED, "#2ca02c"] }, hoverinfo: "x+y", showlegend: false });
  }
  // no line yet: the axis of α alone, and the note below says why
  window.Plotly.react(els.slice, traces, withToolbar({
    margin: { l: 55, r: 10, t: 20, b: 40 }, xaxis: { title: { text: t("slice_axis") }, range: [-0.55, 1.55], zeroline: false },
    yaxis: { type: "log", title: { text: t("loss") }, exponentformat: "power", ...DECADES, visible: drawn },
  }), CONFIG);
  els.slice.dataset.step = String(s.step);
  els.slice.dataset.points = String(s.alphas ? s.alphas.length : 0);
}

/**
 * Draw a frame's measurement, if it is new (a frame between two measurements carries the last one).
 * `optimizer` names the optimizer in the note where it has no threshold.
 */
export function draw(frame, optimizer) {
  if (!els) return [];
  const c = frame.curvature;
  if (!c) return [];
  const value = c[c.compare];
  const lastStep = points.step.length ? points.step[points.step.length - 1] : -1;
  if (c.step > lastStep && value !== null && value !== undefined) {
    points.step.push(c.step);
    points.value.push(value);
  }
  const everyChanged = !last || last.every !== c.every;
  last = c;
  if (everyChanged) relabelHints();
  // "against 2/η" where that is the threshold; against "the stability threshold" (its formula on the line) elsewhere
  const title = c.rule === "gd" ? "sharpness_title" : "sharpness_title_other";
  if (els.sharpTitle.dataset.i18n !== title) {
    els.sharpTitle.dataset.i18n = title;
    els.sharpTitle.textContent = t(title);
  }
  drawSharpness(c);
  showNote(els.sharpNote, reasonText(c, optimizer));
  if (frame.slice) {
    drawSlice(frame.slice);
    showNote(els.sliceNote, reasonText(frame.slice, optimizer));
  }
  // the status line's numbers: the measured one and its threshold
  const items = [[t(c.compare), fmt(value, 4)]];
  if (c.threshold !== null && c.threshold !== undefined) items.push([t(`rule.${c.rule}`), fmt(c.threshold, 4)]);
  return items;
}
