// plotly.js arrives as a classic script while the page's modules already ask the server for
// data: `ready` resolves once it has run. The page loads plotly.js's cartesian partial bundle
// (static/vendor/plotly-cartesian.min.js, 1.5 MB: scatter, contour, heatmap), which Chromium
// compiles in a third of the full bundle's time; `full()` loads the full bundle (the plotly
// wheel's /vendor/plotly.min.js, 4.8 MB) the first time a 3-D view is asked for.

// The page's Japanese web font (style.css's @font-face "descend-ja", /vendor/ipaexg.ttf, 6 MB) is asked for as the
// page starts, and on a page in Japanese `ready` waits for it (FONT_WAIT ms at most: a page whose font never comes
// still draws). plotly measures each label once, in its hidden tester, and keeps that size for the same text and
// style for good (Drawing.savedBBoxes): a Japanese label measured before the font had arrived kept a fallback
// font's width, and a legend sized for it cut its text off ("訓練デー", its second entry over its first). Every
// panel draws its first figure after `ready`, so none is measured before the font; a page in English waits for
// nothing, and a later switch to Japanese finds the font loaded (asked for at the start). A notebook widget loads
// the font itself before it draws in Japanese (widget.js): where the document has no face of that name, as in
// JupyterLab, this resolves at once.
const FONT_WAIT = 10000;
const japanese = document.fonts && document.fonts.load
  ? document.fonts.load('12px "descend-ja"', "日本語の訓練データ").catch(() => [])
  : Promise.resolve([]);

function fontFirst() {
  if (document.documentElement.lang !== "ja") return null;
  return Promise.race([japanese, new Promise((resolve) => { setTimeout(resolve, FONT_WAIT); })]);
}

const plotly = new Promise((resolve, reject) => {
  if (window.Plotly) { resolve(window.Plotly); return; }
  const tag = document.getElementById("plotly-script");
  const done = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("plotly.js did not load")));
  if (tag) {
    tag.addEventListener("load", done);
    tag.addEventListener("error", () => reject(new Error(`plotly.js could not be loaded from ${tag.getAttribute("src")}`)));
  }
  window.addEventListener("load", done);
});

/** plotly.js, once it has run (and, on a page in Japanese, once the Japanese font has arrived: see above). */
export const ready = plotly.then(async (p) => { await fontFirst(); return p; });

/** How every figure of the page is drawn: no plotly logo, only the toolbar buttons a learner uses. */
export const CONFIG = Object.freeze({
  responsive: true,
  displaylogo: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines", "hoverClosestCartesian",
                           "hoverCompareCartesian", "resetCameraLastSave3d", "hoverClosest3d"],
});

/** Room on the right for the toolbar: it stands upright there, so it never covers a legend. */
export const TOOLBAR_MARGIN = 44;

/** `layout` with the toolbar upright in a right margin of its own (legends sit left of it). */
export function withToolbar(layout) {
  return { ...layout, modebar: { orientation: "v" },
           margin: { ...(layout.margin || {}), r: Math.max(TOOLBAR_MARGIN, (layout.margin || {}).r || 0) } };
}

const FULL = "/vendor/plotly.min.js";
let fullBundle = null; // the full plotly.js once it is window.Plotly
let loading = null;

/** Whether window.Plotly is the full bundle (3-D traces drawable). */
export function hasFull() {
  return fullBundle !== null && window.Plotly === fullBundle;
}

/**
 * Redraw every plot drawn with `partial` with `next`, keeping its data, layout, config and the
 * handlers put on it with `gd.on` (each bundle has its own event emitter and plot state).
 */
function movePlots(partial, next) {
  for (const gd of document.querySelectorAll(".js-plotly-plot")) {
    const data = gd.data || [];
    const layout = gd.layout || {};
    const ctx = gd._context || {};
    const config = { responsive: ctx.responsive, displaylogo: ctx.displaylogo, staticPlot: ctx.staticPlot,
                     modeBarButtonsToRemove: ctx.modeBarButtonsToRemove };
    const ev = gd._ev;
    const handlers = ev ? Object.keys(ev._events || {}).map((name) => [name, ev.listeners(name)]) : [];
    partial.purge(gd);
    next.newPlot(gd, data, layout, config);
    for (const [name, fns] of handlers) for (const fn of fns) gd.on(name, fn);
  }
}

/**
 * Load the full plotly.js bundle once; resolves to it when it is window.Plotly. Until its script
 * has finished loading, window.Plotly stays the partial bundle (the full one sets window.Plotly
 * while it runs: held back here), then every plot is moved to it at once, so no plot is ever
 * touched by a bundle other than the one that drew it.
 */
export function full() {
  if (loading) return loading;
  loading = ready.then((partial) => new Promise((resolve, reject) => {
    let current = partial;
    let arrived = null;
    Object.defineProperty(window, "Plotly", {
      configurable: true, enumerable: true,
      get: () => current,
      set: (value) => { arrived = value; },
    });
    const tag = document.createElement("script");
    tag.src = FULL;
    tag.async = true;
    tag.addEventListener("load", () => {
      if (!arrived) { reject(new Error(`plotly.js (full) did not load from ${FULL}`)); return; }
      movePlots(partial, arrived);
      fullBundle = arrived;
      current = arrived;
      resolve(arrived);
    });
    tag.addEventListener("error", () => reject(new Error(`plotly.js could not be loaded from ${FULL}`)));
    document.head.append(tag);
  }));
  loading.catch(() => { loading = null; });
  return loading;
}
