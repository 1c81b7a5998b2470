// The page's labels in English and Japanese. No text is written here: every label is a key of
// descend's one message catalogue (descend.i18n, keys explorer.*, status.* and plot.state.*),
// which the server embeds in index.html as <script type="application/json" id="descend-catalogue">
// (also served as GET /api/catalogue?lang=...). Elements carry data-i18n="key"; apply() rewrites
// them when the language changes. A notebook widget hands its own copy of the catalogue and its
// own element instead (mount).

function load() {
  const block = document.getElementById("descend-catalogue");
  try {
    return block ? JSON.parse(block.textContent) : {};
  } catch (err) {
    return {};
  }
}

let MESSAGES = load();
let scope = null; // null: the whole page; else the one element whose labels this module rewrites

let language = "en";

/** Take the catalogue from `messages` ({lang: {key: text}}) and label only what is under `root`. */
export function mount({ messages, root }) {
  MESSAGES = messages;
  scope = root;
}

export function languages() {
  return Object.keys(MESSAGES);
}

/** A language's own name ("English", "日本語"), for the switch that lists every language the server has. */
export function languageName(lang) {
  return (MESSAGES[lang] || {}).language_name ?? lang;
}

export function setLanguage(lang) {
  language = MESSAGES[lang] ? lang : "en";
  (scope || document.documentElement).lang = language;
  apply();
}

export function currentLanguage() {
  return language;
}

/** The label for `key` in the current language (the key itself where the catalogue has none). */
export function t(key) {
  return (MESSAGES[language] || {})[key] ?? (MESSAGES.en || {})[key] ?? key;
}

/** A control's unit in the current language (symbols such as σ or |∇f| stay as they are). */
export function unit(text) {
  return (MESSAGES[language] || {})[`unit.${text}`] ?? text;
}

/** Rewrite every element marked data-i18n (its text), data-i18n-unit or data-i18n-title (its tooltip). */
export function apply(root = scope || document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-unit]")) el.textContent = ` (${unit(el.dataset.i18nUnit)})`;
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}
