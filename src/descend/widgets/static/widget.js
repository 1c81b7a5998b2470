// descend's notebook widgets: the explorer's own front end in a cell. Its ES modules (serve/static:
// landscape.js, lrpanel.js, derivatives.js, playground.js and what they import), each panel's
// section of its index.html, its style.css and its vendored plotly.js come from the kernel once per
// page (no CDN, no build step). Each widget runs its own copy of the modules (a module keeps its panel's state),
// through three seams: api.js's requests go over the widget's comm (setTransport), the state lives
// in the widget's traits instead of the address (state.useStore), and the labels come from the
// widget's catalogue, applied under its element (i18n.mount). The kernel answers every request
// with the explorer's endpoint functions.

// What the widgets of one page share, kept on the page: anywidget may load this module afresh for
// each widget, whose own variables would then ask for the files (1.5 MB of plotly.js) every time.
const shared = (window.descendWidgets ??= { files: null, japanese: null, count: 0 });

function ask(model, message) {
  // one request over the comm: the kernel answers {id, json: true} + the JSON bytes, {id, data} or {id, error}
  const id = `${Date.now()}-${Math.random()}`;
  return new Promise((resolve, reject) => {
    const onMsg = (msg, buffers) => {
      if (!msg || msg.id !== id) return;
      model.off("msg:custom", onMsg);
      if (msg.error !== undefined) reject(Object.assign(new Error(msg.error), { body: msg.body ?? null }));
      else if (msg.json) resolve(JSON.parse(new TextDecoder().decode(buffers[0])));
      else resolve(buffers && buffers.length ? { ...msg.data, buffers } : msg.data);
    };
    model.on("msg:custom", onMsg);
    model.send({ ...message, id });
  });
}

const blob = (text, type = "text/javascript") => URL.createObjectURL(new Blob([text], { type }));

/**
 * The explorer's files, once per page; plotly.js starts compiling as soon as it is here (as the
 * explorer's page loads it: a classic script with the id plotting.js waits for).
 */
function frontEnd(model) {
  if (!shared.files) {
    shared.files = ask(model, { asset: "front-end" }).then((f) => {
      if (!window.Plotly && !document.getElementById("plotly-script")) {
        const tag = document.createElement("script");
        tag.id = "plotly-script";
        tag.src = blob(f.buffers[0]); // plotly.js's bytes, as the kernel sent them
        document.head.append(tag);
      }
      const style = document.createElement("style");
      style.textContent = scoped(f.css, ".descend-widget");
      document.head.append(style);
      return f;
    });
    shared.files.catch(() => { shared.files = null; });
  }
  return shared.files;
}

/**
 * The explorer's stylesheet with every rule under `scope` (its page rules, body and :root, on the widget),
 * but plotly's tester's: plotly measures every label in one hidden SVG of the page's (#js-plotly-tester, on
 * document.body, outside every widget), which must have the font stack the widget's plots draw in (Japanese
 * first): under `scope` it matched nothing, Japanese was measured in a fallback font and a legend sized for it
 * cut its labels off.
 */
function scoped(css, scope) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  const select = (text) => text.split(",").map((part) => {
    const s = part.trim();
    if (/^#js-plotly-tester\b/.test(s)) return s;
    return /^(:root|html|body)\b/.test(s) ? s.replace(/^(:root|html|body)/, scope) : `${scope} ${s}`;
  }).join(", ");
  const rules = (list) => Array.from(list).map((rule) => {
    if (rule instanceof CSSStyleRule) return `${select(rule.selectorText)} { ${rule.style.cssText} }`;
    if (rule instanceof CSSMediaRule) return `@media ${rule.conditionText} { ${rules(rule.cssRules)} }`;
    return ""; // @font-face: the widget sends the Japanese font itself (japaneseFont)
  }).join("\n");
  return rules(sheet.cssRules);
}

/** A fresh copy of the explorer's modules: each imports the others by blob URLs of this copy. */
function moduleCopy(sources) {
  const urls = {};
  const url = (name, path = []) => {
    if (urls[name]) return urls[name];
    if (path.includes(name)) throw new Error(`import circle: ${[...path, name].join(" -> ")}`);
    const text = sources[name].replace(/(\bfrom\s*)"\.\/([\w-]+\.js)"/g,
                                       (_, head, dep) => `${head}"${url(dep, [...path, name])}"`);
    urls[name] = blob(text);
    return urls[name];
  };
  return (name) => import(/* webpackIgnore: true */ url(name));
}

/** The unicode-range of the stylesheet's @font-face (the Japanese font's: CJK only), or "" where it has none. */
function fontRange(css) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  const face = Array.from(sheet.cssRules).find((rule) => rule instanceof CSSFontFaceRule);
  return face ? face.style.getPropertyValue("unicode-range") : "";
}

/**
 * The explorer's Japanese font, from the kernel, once per page (a machine may have none), loaded before
 * anything is drawn in Japanese (plotly measures a label once and keeps its size). It covers what the
 * explorer's @font-face covers (CJK only): the tester's stack, now the page's, leaves the Latin text of
 * every plot of the page to plotly's own fonts, as before.
 */
function japaneseFont(model, files) {
  if (!shared.japanese) {
    shared.japanese = Promise.all([ask(model, { asset: "font-ja" }), files]).then(async ([data, f]) => {
      const range = fontRange(f.css);
      const face = new FontFace(data.name, data.buffers[0].buffer ?? data.buffers[0], range ? { unicodeRange: range } : {});
      document.fonts.add(await face.load());
    }).catch(() => { shared.japanese = null; });
  }
  return shared.japanese;
}

// ---- each panel: which module, which section of index.html, its traits <-> the explorer's state ----

const runsOf = (optimizers) => (optimizers || []).map(({ optimizer, lr, ...hp }) => ({ optimizer, lr: lr ?? NaN, hp }));

/** A problem trait (a name, or {expression, window}) as the explorer's state keys. */
function problemState(p) {
  return typeof p === "string" ? { problem: p, window: null }
    : { problem: "expression", expr: p.expression, window: p.window ?? null };
}

/** The playground's settings in its request that the Training panel has no control for (the rest: hyperparameters). */
const TRAIN_OTHER = ["test_fraction", "curvature_every"];
const TRAIN_CONTROLS = ["dataset", "n", "noise", "hidden", "activation", "optimizer", "lr", "batch_size", "seed", "grid"];

/**
 * The Training widget's config trait as the panel's state keys, on top of the kernel's defaults
 * (`_defaults`: the playground's own, not the explorer page's); what the panel has no control for
 * goes in `thp` (the optimizer's hyperparameters) and `textra` (other settings), which its request sends.
 */
function trainingState(m) {
  const given = m.get("config") || {};
  const c = { ...m.get("_defaults"), ...given };
  const bs = c.batch_size;
  const batch = bs === null ? "full" : bs === 1 ? "one" : "k";
  const thp = {};
  const textra = {};
  for (const [k, v] of Object.entries(given)) {
    if (TRAIN_OTHER.includes(k)) textra[k] = v; else if (!TRAIN_CONTROLS.includes(k)) thp[k] = v;
  }
  return { data: c.dataset, n: c.n, noise: c.noise, layers: c.hidden, act: c.activation, topt: c.optimizer, tlr: c.lr,
           batch, ...(batch === "k" ? { k: bs } : {}), seed: c.seed, thp, textra };
}

const PANELS = {
  landscape: {
    module: "landscape.js",
    // its grid and runs, asked for with the front end's files: the traits are the explorer's request
    // bodies (race.js's runBody), so the kernel computes them while the page compiles plotly.js
    first: (m) => {
      const runs = m.get("optimizers") || [];
      if (!runs.every((o) => o.lr !== undefined || o.line_search)) return []; // the page fills in lrs first
      const run = { problem: m.get("problem"), start: m.get("start"), steps: m.get("steps"), runs };
      if (m.get("gtol")) run.gtol = m.get("gtol");
      return [["surface", { problem: m.get("problem"), points: 101 /* race.RESOLUTION */ }], ["run", run]];
    },
    toState: (m) => ({ ...problemState(m.get("problem")), start: m.get("start"), steps: m.get("steps"),
                       gtol: m.get("gtol") || 0, runs: runsOf(m.get("optimizers")), view: "2d" }),
    fromState: (s, mods) => ({ problem: mods.race.problemSpec(s), start: s.start, steps: s.steps, gtol: s.gtol,
                               optimizers: s.runs.map(mods.race.runSpec) }),
    init: (mod, root) => mod.init({ root, threeD: false }), // the 3-D view's bundle is the explorer server's
    drawn: (root) => Boolean(root.querySelector("#land-plot").dataset.firstDrawn), // paths on screen
  },
  lr: {
    module: "lrpanel.js",
    toState: (m) => {
      const lrs = m.get("lrs") || {};
      return { ...problemState(m.get("problem")), start: m.get("start"), steps: m.get("steps"),
               runs: runsOf(m.get("optimizers")), lrmin: lrs.min ?? 1e-4, lrmax: lrs.max ?? 10, lrn: lrs.points ?? 41 };
    },
    fromState: (s, mods) => ({ problem: mods.race.problemSpec(s), start: s.start, steps: s.steps,
                               optimizers: s.runs.map((r) => ({ optimizer: r.optimizer, ...r.hp })),
                               lrs: { min: s.lrmin, max: s.lrmax, points: s.lrn } }),
    // a click on a curve sets `picked` here (the explorer's hint says it loads the landscape)
    section: (root) => { root.querySelector('[data-i18n="lr_hint"]').dataset.i18n = "lr_hint_widget"; },
    // a click on a curve: Python reads the run's optimizer and that lr in `picked`
    init: (mod, root, model, mods) => mod.init({ root, onPick: (i, lr) => {
      model.set("picked", { optimizer: mods.state.get().runs[i].optimizer, lr });
      model.save_changes();
    } }),
    drawn: (root) => Boolean(root.querySelector("#lr-plot").dataset.curves),
  },
  derivatives: {
    module: "derivatives.js",
    toState: (m) => ({ dexpr: m.get("expression"), dx: m.get("x"), dmethods: m.get("methods"), dh: m.get("h"),
                       drelative: m.get("relative") }),
    fromState: (s) => ({ expression: s.dexpr, x: s.dx, methods: s.dmethods, h: s.dh, relative: s.drelative }),
    init: (mod, root) => mod.init({ root }),
    drawn: (root) => Boolean(root.querySelector("#der-plot").dataset.methods),
  },
  training: {
    module: "playground.js",
    first: () => [["datasets"]],
    toState: trainingState,
    // the page's state as the config trait (what playground.js's request sends, less its grid)
    fromState: (s) => ({ config: { ...s.textra, ...s.thp, dataset: s.data, n: s.n, noise: s.noise, hidden: s.layers,
                                   activation: s.act, optimizer: s.topt, lr: s.tlr,
                                   batch_size: s.batch === "one" ? 1 : s.batch === "full" ? null : s.k, seed: s.seed } }),
    init: (mod, root) => mod.init({ root }),
    drawn: (root) => Boolean(root.querySelector("#train-boundary").dataset.picture), // a frame on screen
  },
};

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The state store of one widget: the explorer's state on top of its defaults, read from the traits;
 * each change the page makes is written to the traits (at most once per animation frame: a drag
 * moves the start at every pointer event) and saved to the kernel, which checks it.
 */
function traitStore(model, spec, mods) {
  let later = 0;
  const flush = () => {
    later = 0;
    const traits = spec.fromState(mods.state.get(), mods);
    let changed = false;
    for (const [name, value] of Object.entries(traits)) {
      if (!same(model.get(name), value)) { model.set(name, value); changed = true; }
    }
    if (changed) model.save_changes();
  };
  return {
    load: () => ({ tab: model.get("panel"), lang: model.get("lang"), ...spec.toState(model) }),
    save: () => { if (!later) later = requestAnimationFrame(flush); },
  };
}

/** A trait set from Python (or put back by the kernel): the panel takes the new state and redraws. */
function follow(model, spec, mods, panel) {
  return () => {
    const now = mods.state.get();
    const next = { ...now, ...spec.toState(model) };
    if (same(spec.fromState(next, mods), spec.fromState(now, mods))) return; // the page's own change
    mods.state.update(spec.toState(model), { silent: true });
    panel.reload();
  };
}

/**
 * Answers asked for before the panel asks (`ask`): each is used once, by the first request with the
 * same path and body (`send`); the kernel computes them while the page loads its modules and
 * compiles plotly.js.
 */
function early(model) {
  const answers = new Map();
  const sorted = (k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v);
  const key = (path, body) => `${path} ${JSON.stringify(body ?? {}, sorted)}`; // the same body, whatever its keys' order
  return {
    ask(requests) {
      for (const [path, body] of requests) {
        const answer = ask(model, { path, body: body ?? {} });
        answer.catch(() => {}); // a refusal is shown when the panel asks for it
        answers.set(key(path, body), answer);
      }
    },
    send(path, body) {
      const answer = answers.get(key(path, body));
      answers.delete(key(path, body));
      return answer || ask(model, { path, body: body ?? {} });
    },
  };
}

/**
 * Each label's control gets this widget's own id (`prefix` + its id): a fixed id such as the formula
 * box's #land-expr repeats when several widgets share a page, and its label then points at the first
 * widget's box. The modules keep their elements (they look none of these up by id), and a control
 * built again (another language, a trait set from Python) is renamed again. Returns the observer.
 */
function ownIds(root, prefix) {
  const rename = () => {
    for (const label of root.querySelectorAll("label[for]")) {
      if (label.htmlFor.startsWith(prefix)) continue; // controls.js's own ids already have it (idPrefix)
      const control = root.querySelector(`#${CSS.escape(label.htmlFor)}`);
      if (!control) continue;
      control.id = `${prefix}${control.id}`;
      label.htmlFor = control.id;
    }
  };
  const observer = new MutationObserver(rename);
  for (const aside of root.querySelectorAll("aside.controls")) observer.observe(aside, { childList: true, subtree: true });
  return observer;
}

async function renderPanel(model, el, spec, f, asked, on, undo) {
  const load = moduleCopy(f.modules);
  const [api, state, i18n, controls, race, panel] = await Promise.all(
    ["api.js", "state.js", "i18n.js", "controls.js", "race.js", spec.module].map(load));
  const mods = { api, state, i18n, controls, race };
  shared.count += 1; // counted on the page (a count of this module's own gave every widget descend-1-)
  const prefix = `descend-${shared.count}-`;
  controls.idPrefix(prefix);
  state.useStore(traitStore(model, spec, mods));
  // the landscape's grid and runs asked for now, with the bodies its modules will send
  const stamp = (name) => { el.dataset[name] = String(performance.timeOrigin + performance.now()); };
  stamp("modulesAt"); // these stamps: the phases bench/widgets.py reports
  load("plotting.js").then((plotting) => plotting.ready).then(() => stamp("plotlyAt"), () => {});
  api.setTransport((path, body) => asked.send(path, body).then((answer) => {
    const name = `${path.replace(/\W/g, "")}At`; // runAt, surfaceAt...; trainstartAt (a data-* name has no "/")
    if (!el.dataset[name]) stamp(name);
    return answer;
  }, (err) => {
    throw new api.ApiError(err.message, 400, err.body);
  }));
  const root = document.createElement("div");
  root.innerHTML = f.sections[model.get("panel")];
  root.firstElementChild.hidden = false;
  if (spec.section) spec.section(root);
  const line = document.createElement("div");
  line.className = "descend-error";
  el.replaceChildren(root, line);
  i18n.mount({ messages: model.get("catalogue"), root: el });
  i18n.setLanguage(model.get("lang"));
  const showError = () => { line.textContent = model.get("error") || ""; };
  on("change:error", showError);
  on("change:lang", async () => {
    if (model.get("lang") === "ja") await japaneseFont(model, frontEnd(model));
    i18n.setLanguage(model.get("lang"));
    panel.relabel();
  });
  const onTraits = follow(model, spec, mods, panel);
  for (const name of Object.keys(spec.fromState(state.get(), mods))) on(`change:${name}`, onTraits);
  // each drawing with something on it counts (the browser tests and the bench wait for it)
  const observer = new MutationObserver(() => {
    if (spec.drawn(root)) el.dataset.drawn = String(Number(el.dataset.drawn || 0) + 1);
  });
  observer.observe(root, { attributes: true, subtree: true, attributeFilter: ["data-draws", "data-curves", "data-methods", "data-picture"] });
  const renamer = ownIds(root, prefix);
  undo.push(() => observer.disconnect(), () => renamer.disconnect());
  await spec.init(panel, root, model, mods);
}

async function render({ model, el }) {
  el.classList.add("descend-widget");
  // what this view listens to, let go when the view is removed (the model may outlive it)
  const undo = [];
  const on = (event, fn) => { model.on(event, fn); undo.push(() => model.off(event, fn)); };
  el.dataset.renderAt = String(performance.timeOrigin + performance.now()); // for bench/widgets.py
  try {
    const spec = PANELS[model.get("panel")];
    if (!spec) throw new Error(`no panel named ${model.get("panel")}`);
    const files = frontEnd(model);
    const asked = early(model);
    // catalog.js's two lists (and a landscape's grid and runs), answered right after the files
    asked.ask([["problems"], ["optimizers"], ...(spec.first ? spec.first(model) : [])]);
    const [f] = await Promise.all([files, model.get("lang") === "ja" ? japaneseFont(model, files) : null]);
    el.dataset.filesAt = String(performance.timeOrigin + performance.now());
    await renderPanel(model, el, spec, f, asked, on, undo);
  } catch (err) {
    el.textContent = String((err && err.message) || err);
  }
  return () => { for (const fn of undo) fn(); };
}

export default { render };
