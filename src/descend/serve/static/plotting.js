// plotly.js arrives as a classic script (from the plotly wheel, /vendor/plotly.min.js) while
// the page's modules already ask the server for data: `ready` resolves once it has run.

export const ready = new Promise((resolve, reject) => {
  if (window.Plotly) { resolve(window.Plotly); return; }
  const tag = document.getElementById("plotly-script");
  const done = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("plotly.js did not load")));
  if (tag) {
    tag.addEventListener("load", done);
    tag.addEventListener("error", () => reject(new Error("plotly.js could not be loaded from /vendor/plotly.min.js")));
  }
  window.addEventListener("load", done);
});
