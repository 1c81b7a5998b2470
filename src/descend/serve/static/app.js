// The explorer's entry: tabs, the language switch, and each panel started when first shown.
// The page is a view: the numbers come from the server (api.js), the state lives in the
// address (state.js).

import * as catalog from "./catalog.js";
import * as derivatives from "./derivatives.js";
import { apply, languageName, languages, setLanguage } from "./i18n.js";
import * as landscape from "./landscape.js";
import * as lrpanel from "./lrpanel.js";
import * as playground from "./playground.js";
import { ready } from "./plotting.js";
import * as share from "./share.js";
import * as state from "./state.js";

const PANELS = { landscape, lr: lrpanel, derivatives, training: playground, share };
const started = new Set();

function fatal(err) {
  const box = document.getElementById("fatal");
  box.textContent = String(err && err.message ? err.message : err);
  box.hidden = false;
}

async function show(tab) {
  if (!PANELS[tab]) tab = "landscape";
  for (const section of document.querySelectorAll("[data-panel]")) section.hidden = section.dataset.panel !== tab;
  for (const b of document.querySelectorAll("[data-tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === tab));
  if (state.get().tab !== tab) state.update({ tab }, { silent: true });
  share.setViewTab(tab);
  for (const name of started) if (name !== tab && PANELS[name].hide) PANELS[name].hide();
  try {
    if (!started.has(tab)) {
      started.add(tab);
      await PANELS[tab].init();
    } else if (PANELS[tab].show) {
      PANELS[tab].show();
    }
  } catch (err) {
    fatal(err);
  }
  // a plot drawn while its panel was hidden has no size: fit it now
  if (window.Plotly) {
    for (const plot of document.querySelectorAll(`[data-panel="${tab}"] .js-plotly-plot`)) {
      if (!(plot._context && plot._context.staticPlot)) window.Plotly.Plots.resize(plot); // a layer below follows its upper figure
    }
  }
}

function main() {
  const s = state.get();
  const lang = document.getElementById("lang");
  // one option per language of the catalogue (descend.i18n.LANGS), each named in its own language
  lang.replaceChildren(...languages().map((code) => new Option(languageName(code), code)));
  lang.value = s.lang;
  setLanguage(s.lang);
  // every panel started so far is drawn again in the new language (its figures, its controls and
  // what the server words: the status words, the internals' titles)
  lang.addEventListener("change", () => {
    state.update({ lang: lang.value }, { silent: true });
    setLanguage(lang.value);
    for (const name of started) {
      try {
        if (PANELS[name].relabel) PANELS[name].relabel();
      } catch (err) {
        fatal(err);
      }
    }
  });
  for (const b of document.querySelectorAll("[data-tab]")) b.addEventListener("click", () => show(b.dataset.tab));
  // a pasted link: the whole view follows the new address
  window.addEventListener("hashchange", () => {
    const next = state.parse(window.location.hash);
    state.update(next, { silent: true });
    lang.value = next.lang;
    setLanguage(next.lang);
    for (const name of started) if (PANELS[name].reload) PANELS[name].reload();
    show(next.tab);
  });
  apply();
  show(s.tab);
}

// the lists are asked for at once, before plotly.js has even loaded
catalog.loadProblems().catch(() => {});
catalog.loadOptimizers().catch(() => {});
ready.catch(fatal);
main();
