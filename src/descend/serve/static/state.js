// The whole view lives in the address: the fragment after "#" holds every setting, so a
// link reproduces the view. The token stays in the query (it is the server's, not the view's).
// A notebook widget keeps it elsewhere (its model's traits): useStore.

const listeners = [];

/** Defaults of every panel; a key missing from the address keeps its default. */
export function defaults() {
  return {
    tab: "landscape",
    lang: "en",
    // landscape
    problem: "rosenbrock",
    expr: "",
    start: null, // null: the problem's own start
    steps: 200,
    gtol: 0, // 0: no tolerance (run every step)
    view: "2d",
    runs: [
      { optimizer: "gd", lr: 0.001, hp: {} },
      { optimizer: "momentum", lr: 0.001, hp: {} },
      { optimizer: "adam", lr: 0.05, hp: {} },
    ],
    replay: -1, // -1: the whole path
    // learning rate
    lrmin: 1e-5,
    lrmax: 1,
    lrn: 25,
    // derivatives
    dexpr: "sin(x)",
    dx: 1.0,
    // training
    data: "spirals",
    noise: 0.1,
    n: 500,
    layers: [8, 8],
    act: "tanh",
    topt: "adam",
    tlr: 0.01,
    batch: "k",
    k: 10,
    seed: 0,
    speed: 5, // updates per frame
  };
}

const NUMBER_KEYS = ["steps", "gtol", "replay", "lrmin", "lrmax", "lrn", "dx", "noise", "n", "tlr", "k", "seed", "speed"];

function encodeValue(v) {
  if (Array.isArray(v)) return v.map(encodeValue).join(";");
  return String(v);
}

function decodeValue(s) {
  if (s.includes(";")) return s.split(";").map(decodeValue);
  if (s === "true") return true;
  if (s === "false") return false;
  const n = Number(s);
  return s !== "" && Number.isFinite(n) ? n : s;
}

/** One optimizer run as "adam,lr=0.05,betas=0.9;0.999". */
export function encodeRun(run) {
  const parts = [run.optimizer, `lr=${run.lr}`];
  for (const [k, v] of Object.entries(run.hp || {})) parts.push(`${k}=${encodeValue(v)}`);
  return parts.join(",");
}

export function decodeRun(text) {
  const [optimizer, ...rest] = text.split(",");
  const run = { optimizer, lr: 0.01, hp: {} };
  for (const part of rest) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i);
    const v = decodeValue(part.slice(i + 1));
    if (k === "lr") run.lr = Number(v);
    else run.hp[k] = v;
  }
  return run;
}

/** The state in `hash` ("#tab=...&...") on top of the defaults. */
export function parse(hash) {
  const state = defaults();
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const runs = params.getAll("run");
  if (runs.length) state.runs = runs.map(decodeRun);
  if (params.has("norun")) state.runs = [];
  for (const [k, v] of params) {
    if (k === "run" || k === "norun" || !(k in state)) continue;
    if (NUMBER_KEYS.includes(k)) {
      const n = Number(v);
      if (Number.isFinite(n)) state[k] = n;
    } else if (k === "start") {
      const xy = v.split(",").map(Number);
      if (xy.length === 2 && xy.every(Number.isFinite)) state.start = xy;
    } else if (k === "layers") {
      state.layers = v === "" ? [] : v.split(",").map(Number).filter((w) => Number.isInteger(w) && w > 0);
    } else {
      state[k] = v;
    }
  }
  return state;
}

/** One value for the fragment: escaped, but , ; = / : left readable (they are safe there). */
function escapeValue(v) {
  return encodeURIComponent(v).replace(/%2C/g, ",").replace(/%3B/g, ";").replace(/%3D/g, "=")
    .replace(/%2F/g, "/").replace(/%3A/g, ":");
}

/** The fragment for `state`: only what differs from the defaults, so links stay short. */
export function serialize(state) {
  const base = defaults();
  const pairs = [];
  const add = (k, v) => pairs.push(`${k}=${escapeValue(v)}`);
  for (const [k, v] of Object.entries(state)) {
    if (k === "runs") continue;
    if (JSON.stringify(v) === JSON.stringify(base[k])) continue;
    if (k === "start") add(k, v === null ? "" : v.map((c) => Number(c.toPrecision(6))).join(","));
    else if (k === "layers") add(k, v.join(","));
    else add(k, String(v));
  }
  if (JSON.stringify(state.runs) !== JSON.stringify(base.runs)) {
    if (state.runs.length === 0) add("norun", "1");
    for (const run of state.runs) add("run", encodeRun(run));
  }
  return pairs.join("&");
}

const WRITE_EVERY_MS = 150; // Chromium throttles a page that rewrites its address at every frame
let written = 0;
let writeLater = null;

function write() {
  writeLater = null;
  written = performance.now();
  const hash = serialize(current);
  window.history.replaceState(null, "", `${window.location.pathname}${window.location.search}${hash ? "#" + hash : ""}`);
}

/** The page's store: the address (during a drag written at most every 150 ms, and once when it stops). */
const address = {
  load: () => parse(window.location.hash),
  save() {
    if (writeLater !== null) return;
    const wait = written + WRITE_EVERY_MS - performance.now();
    if (wait <= 0) write(); else writeLater = setTimeout(write, wait);
  },
};

let store = address;
let current = store.load();

/**
 * Keep the state in `next` instead of the address: `load()` gives the whole state (on top of the
 * defaults), `save(state, changes)` is told each change (a notebook widget: its model's traits).
 */
export function useStore(next) {
  store = next;
  current = { ...defaults(), ...next.load() };
}

export function get() {
  return current;
}

/**
 * Change some keys, save them (the address: without a new history entry), tell the listeners. The
 * state changes at once; the address too, except during a drag (see `address`).
 */
export function update(changes, { silent = false } = {}) {
  current = { ...current, ...changes };
  store.save(current, changes);
  if (!silent) for (const fn of listeners) fn(current, changes);
}

export function onChange(fn) {
  listeners.push(fn);
}

/** The address of this view with some keys changed (what "share" copies). */
export function link(changes = {}) {
  const hash = serialize({ ...current, ...changes });
  return `${window.location.origin}${window.location.pathname}${window.location.search}${hash ? "#" + hash : ""}`;
}
