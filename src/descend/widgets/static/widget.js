// descend's notebook widgets: the explorer's front end in a cell. The explorer's own modules
// (serve/static/api.js, plotting.js) and its vendored plotly.js come from the kernel once per
// page (no CDN, no build step); api.js's requests go over the widget's comm (setTransport), and
// the kernel answers them with the explorer's endpoint functions.

let shared = null; // { api, plotting, Plotly } once loaded

function ask(model, message) {
  // one request over the comm: the kernel answers {id, data} or {id, error}
  const id = `${Date.now()}-${Math.random()}`;
  return new Promise((resolve, reject) => {
    const onMsg = (msg, buffers) => {
      if (!msg || msg.id !== id) return;
      model.off("msg:custom", onMsg);
      if (msg.error !== undefined) reject(new Error(msg.error));
      else if (msg.json) resolve(JSON.parse(new TextDecoder().decode(buffers[0]))); // the answer's JSON bytes
      else resolve(buffers && buffers.length ? { ...msg.data, buffers } : msg.data);
    };
    model.on("msg:custom", onMsg);
    model.send({ ...message, id });
  });
}

async function load(model) {
  if (shared) return shared;
  const assets = await ask(model, { asset: "front-end" });
  const url = (src) => URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
  const api = await import(/* webpackIgnore: true */ url(assets["api.js"]));
  const plotting = await import(/* webpackIgnore: true */ url(assets["plotting.js"]));
  if (!window.Plotly) {
    await new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = url(assets.plotly);
      tag.onload = resolve;
      tag.onerror = () => reject(new Error("plotly.js could not be loaded"));
      document.head.appendChild(tag);
    });
  }
  shared = { api, plotting, Plotly: window.Plotly };
  return shared;
}

let japanese = null; // a promise, once the Japanese font is asked for

/** The explorer's Japanese font, from the kernel, once per page (a machine may have none). */
function japaneseFont(model) {
  if (!japanese) {
    japanese = ask(model, { asset: "font-ja" }).then(async (data) => {
      const face = new FontFace(data.name, data.buffers[0].buffer ?? data.buffers[0]);
      document.fonts.add(await face.load());
    }).catch(() => { japanese = null; });
  }
  return japanese;
}

/** The figures' font: plotly's own, then the Japanese one for what it lacks. */
const FONT = { family: '"Open Sans", verdana, arial, sans-serif, "descend-ja"' };

const MARKERS_UP_TO = 150; // as the explorer's landscape.js

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

function words(model) {
  const cat = model.get("catalogue") || {};
  return cat[model.get("lang")] || cat.en || {};
}

function shownZ(z) {
  // log10(1 + f - min) where f spans decades, as the explorer's landscape draws it
  const flat = z.flat().filter(Number.isFinite);
  const lo = Math.min(...flat);
  const sorted = flat.slice().sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const log = (Math.max(...flat) - lo) > 50 * Math.max(median - lo, 1e-12);
  const f = (v) => (v === null ? null : (log ? Math.log10(1 + v - lo) : v));
  return { z: z.map((row) => row.map(f)), f };
}

/** The explorer's /api/run body for the widget's state. */
const runBody = (model) => ({ problem: model.get("problem"), start: model.get("start"), steps: model.get("steps"),
                              runs: model.get("optimizers"), lang: model.get("lang") });
const surfaceBody = (model) => ({ problem: model.get("problem"), points: 101 });

/** The landscape's first numbers, asked for before plotly.js has loaded: the kernel computes them
 * while the page compiles plotly.js. Each is used once, by a request with the same body. */
function prefetch(model) {
  const early = new Map();
  for (const [path, body] of [["surface", surfaceBody(model)], ["run", runBody(model)]]) {
    const answer = ask(model, { path, body });
    answer.catch(() => {}); // a refusal is shown when the panel asks for it
    early.set(`${path} ${JSON.stringify(body)}`, answer);
  }
  return (call) => (path, body) => {
    const key = `${path} ${JSON.stringify(body)}`;
    const answer = early.get(key);
    early.delete(key);
    return answer || call(path, body);
  };
}

function renderLandscape(model, el, lib) {
  const { api, plotting, Plotly } = lib;
  // two figures, as the explorer draws its landscape: the contours below, drawn when the problem
  // changes, and the paths above (transparent), redrawn alone after a click
  const stack = document.createElement("div");
  stack.className = "descend-stack";
  const below = document.createElement("div");
  const plot = document.createElement("div");
  plot.className = "descend-plot descend-paths";
  stack.append(below, plot);
  const line = document.createElement("div");
  line.className = "descend-error";
  const table = document.createElement("table");
  table.className = "descend-results";
  el.append(stack, line, table);
  let grid = null;
  let gridKey = "";
  let contoursFor = "";

  const body = () => runBody(model);
  const showError = (message) => { line.textContent = message || model.get("error") || ""; };
  const axes = (extra = {}) => ({ range: null, automargin: false, fixedrange: true, ...extra });
  const frame = (over) => plotting.withToolbar({
    height: 440, margin: { l: 48, t: 30, b: 40, r: 44 }, dragmode: false, font: FONT,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" }, ...over });

  function drawContours() {
    if (contoursFor === gridKey) return;
    contoursFor = gridKey;
    const trace = { type: "contour", x: grid.x, y: grid.y, z: grid.shown.z, showscale: false, ncontours: 30,
                    contours: { coloring: "lines" }, colorscale: "Greys", hoverinfo: "skip" };
    Plotly.react(below, [trace], frame({ showlegend: false, xaxis: axes({ range: grid.window[0] }),
                                         yaxis: axes({ range: grid.window[1] }) }),
                 { ...plotting.CONFIG, displayModeBar: false, staticPlot: true });
  }

  function draw(runs) {
    const t = words(model);
    drawContours();
    const traces = [];
    runs.forEach((r, i) => {
      const xs = r.x || [];
      // a marker per iterate while they can be told apart (the explorer's rule: thousands of SVG
      // markers cost a redraw most of a second), past that the line alone
      traces.push({ type: "scatter", mode: xs.length <= MARKERS_UP_TO ? "lines+markers" : "lines", marker: { size: 3 }, name: model.get("optimizers")[i].optimizer,
                    x: xs.map((p) => p && p[0]), y: xs.map((p) => p && p[1]), line: { color: COLORS[i % COLORS.length] } });
    });
    const s = model.get("start");
    traces.push({ type: "scatter", mode: "markers", x: [s[0]], y: [s[1]], name: t.start || "start",
                  marker: { size: 12, symbol: "x", color: "black" } });
    const hidden = { showgrid: false, zeroline: false, showticklabels: false, showline: false };
    const layout = frame({ paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
                           xaxis: axes({ range: grid.window[0], ...hidden }), yaxis: axes({ range: grid.window[1], ...hidden }) });
    Plotly.react(plot, traces, layout, plotting.CONFIG);
    table.replaceChildren(...runs.map((r, i) => {
      const row = document.createElement("tr");
      const f = r.f && r.f.length ? r.f[r.f.length - 1] : null;
      for (const text of [model.get("optimizers")[i].optimizer, r.status_text || r.status, String(r.nit),
                          f === null ? "—" : Number(f).toPrecision(6)]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }));
    el.dataset.drawn = String(Number(el.dataset.drawn || 0) + 1);
  }

  const requestRuns = api.latestOnly((b) => api.call("run", b), (data) => { showError(""); draw(data.runs); },
                                     (err) => showError(err.message));
  async function refresh() {
    const key = JSON.stringify(model.get("problem"));
    try {
      if (key !== gridKey) {
        const g = await api.call("surface", surfaceBody(model));
        grid = { ...g, shown: shownZ(g.z) };
        gridKey = key;
      }
      requestRuns(body());
    } catch (err) {
      showError(err.message); // the last good landscape stays on screen
    }
  }
  // a click sets the start, a drag moves it: pixel -> data through the axes' own conversion; during
  // a drag at most one update per animation frame goes to the kernel (the runs' requests coalesce)
  let dragging = false;
  let queued = null;
  function setStart(event) {
    const full = plot._fullLayout;
    if (!full || !grid) return;
    const box = plot.querySelector(".nsewdrag") || plot;
    const rect = box.getBoundingClientRect();
    const x = full.xaxis.p2c(event.clientX - rect.left);
    const y = full.yaxis.p2c(event.clientY - rect.top);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    if (queued === null) {
      requestAnimationFrame(() => {
        model.set("start", queued);
        model.save_changes();
        queued = null;
      });
    }
    queued = [x, y];
  }
  plot.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    dragging = true;
    setStart(event);
  });
  plot.addEventListener("pointermove", (event) => { if (dragging) setStart(event); });
  window.addEventListener("pointerup", () => { dragging = false; });
  for (const name of ["problem", "start", "steps", "optimizers", "lang"]) model.on(`change:${name}`, refresh);
  model.on("change:error", () => showError(model.get("error")));
  refresh();
}

function renderOther(model, el, lib) {
  // the other panels: their numbers from the same endpoints, drawn as the explorer's figures
  const { api, plotting, Plotly } = lib;
  const plot = document.createElement("div");
  const line = document.createElement("div");
  line.className = "descend-error";
  el.append(plot, line);
  async function refresh() {
    const panel = model.get("panel");
    try {
      if (panel === "lr") {
        const d = await api.call("lr", { problem: model.get("problem"), start: model.get("start"),
                                         optimizers: model.get("optimizers"), steps: model.get("steps"),
                                         lrs: model.get("lrs") });
        const traces = d.curves.map((c, i) => ({ type: "scatter", x: d.lrs, y: c.final_f, name: c.optimizer,
                                                 line: { color: COLORS[i % COLORS.length] } }));
        Plotly.react(plot, traces, plotting.withToolbar({ height: 360, font: FONT, xaxis: { type: "log", title: { text: "lr" } },
                                                          yaxis: { type: "log" } }), plotting.CONFIG);
      } else if (panel === "derivatives") {
        const d = await api.call("derivatives", { expression: model.get("expression"), x: model.get("x"),
                                                  methods: model.get("methods"), h: model.get("h"),
                                                  relative: model.get("relative") });
        const traces = Object.entries(d.errors).map(([m, e], i) => ({ type: "scatter", x: d.hs, y: e, name: m,
                                                                       line: { color: COLORS[i % COLORS.length] } }));
        Plotly.react(plot, traces, plotting.withToolbar({ height: 360, font: FONT, xaxis: { type: "log", title: { text: "h" } },
                                                          yaxis: { type: "log" } }), plotting.CONFIG);
      } else {
        const d = await api.call("train/start", model.get("config"));
        const f = await api.call("train/step", { session: d.session, updates: 200 });
        await api.call("train/stop", { session: d.session });
        const g = f.frame.grid;
        Plotly.react(plot, [{ type: "heatmap", x: g.x, y: g.y, z: g.z, colorscale: "RdBu", showscale: false }],
                     plotting.withToolbar({ height: 360, font: FONT }), plotting.CONFIG);
      }
      line.textContent = model.get("error") || "";
      el.dataset.drawn = String(Number(el.dataset.drawn || 0) + 1);
    } catch (err) {
      line.textContent = err.message;
    }
  }
  model.on("change", refresh);
  refresh();
}

async function render({ model, el }) {
  el.classList.add("descend-widget");
  const landscape = model.get("panel") === "landscape";
  const loading = load(model); // its request goes first: plotly.js compiles while the kernel computes
  const early = landscape ? prefetch(model) : (call) => call;
  let lib;
  try {
    lib = await loading;
  } catch (err) {
    el.textContent = String(err.message || err);
    return;
  }
  // every request of this widget goes over its own comm (api.js's module is shared by every widget
  // of the page, so each widget keeps its own call rather than setting one transport for all)
  lib = { ...lib, api: { ...lib.api, call: early((path, body) => ask(model, { path, body: body ?? {} })) } };
  const font = () => (model.get("lang") === "ja" ? japaneseFont(model) : null);
  await font();
  model.on("change:lang", font);
  if (landscape) renderLandscape(model, el, lib); else renderOther(model, el, lib);
}

export default { render };
