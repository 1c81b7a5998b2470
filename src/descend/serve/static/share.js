// Panel 5, share and export: the address of this view, and the configuration as code
// (a descend snippet, and torch.optim / optax equivalents where they have the optimizer),
// written by the server's /api/export.

import { call } from "./api.js";
import { fmt } from "./controls.js";
import { apply, t } from "./i18n.js";
import * as playground from "./playground.js";
import { runBody } from "./race.js";
import * as state from "./state.js";

let els = {};
let viewTab = "landscape";

/** The panel a shared link opens: the last one shown before this one. */
export function setViewTab(tab) {
  if (tab !== "share") viewTab = tab;
}

function landscapeBody() {
  return { kind: "run", ...runBody() };
}

function snippet(title, code) {
  const wrap = document.createElement("div");
  wrap.className = "snippet";
  const head = document.createElement("h4");
  head.textContent = title;
  const pre = document.createElement("pre");
  const c = document.createElement("code");
  c.textContent = code;
  pre.append(c);
  const copy = document.createElement("button");
  copy.type = "button";
  copy.dataset.i18n = "copy";
  copy.addEventListener("click", () => {
    navigator.clipboard?.writeText(code).then(() => { copy.dataset.i18n = "copied"; apply(wrap); }).catch(() => {});
  });
  wrap.append(head, copy, pre);
  return wrap;
}

async function exportCode() {
  els.error.hidden = true;
  els.snippets.replaceChildren();
  // the Training export trains what the training panel shows: its data set, seed, architecture,
  // optimizer and as many epochs as it has run (not a fixed number)
  const training = playground.exportSpec();
  const trainNotes = [];
  if (training.updates > 0 && Math.abs(training.epoch - Math.round(training.epoch)) > 1e-9) {
    trainNotes.push(t("export_epochs_rounded").replace("{epoch}", fmt(training.epoch, 4))
      .replace("{epochs}", String(training.spec.epochs)));
  }
  if (!training.updates) trainNotes.push(t("export_not_trained"));
  const parts = [[t("tab_landscape"), landscapeBody(), []], [t("tab_training"), { kind: "train", ...training.spec }, trainNotes]];
  for (const [title, body, pageNotes] of parts) {
    try {
      const data = await call("export", body);
      const section = document.createElement("section");
      section.className = "export";
      const h = document.createElement("h3");
      h.textContent = title;
      section.append(h);
      section.append(snippet("descend", data.descend));
      if (data.torch) section.append(snippet("torch.optim", data.torch));
      if (data.optax) section.append(snippet("optax", data.optax));
      const notes = [...pageNotes, ...(data.notes || [])];
      if (notes.length) {
        const ul = document.createElement("ul");
        ul.className = "notes";
        for (const n of notes) {
          const li = document.createElement("li");
          li.textContent = n;
          ul.append(li);
        }
        section.append(ul);
      }
      els.snippets.append(section);
    } catch (err) {
      els.error.textContent = `${title}: ${err.message}`;
      els.error.hidden = false;
    }
  }
  apply(els.snippets);
}

export async function init() {
  els = { link: document.getElementById("share-link"), copy: document.getElementById("share-copy"),
          button: document.getElementById("export-button"), error: document.getElementById("export-error"),
          snippets: document.getElementById("export-snippets") };
  els.copy.addEventListener("click", () => {
    els.link.select();
    navigator.clipboard?.writeText(els.link.value).then(() => { els.copy.dataset.i18n = "copied"; apply(els.copy.parentElement); })
      .catch(() => {});
  });
  els.button.addEventListener("click", exportCode);
  show();
}

export function show() {
  // the address as it would be shared from the landscape (the tab is part of the view)
  els.link.value = state.link({ tab: viewTab });
  els.copy.dataset.i18n = "copy";
  apply(els.copy.parentElement);
}

export function reload() {
  show();
}

export function relabel() {
  if (els.snippets && els.snippets.childElementCount) exportCode();
}
