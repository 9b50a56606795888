// Headscope's dependency arc diagram: the words in a row, an arc from each word's head to it with
// the relation on top, the chosen relation's arcs in colour and the others faint. SVG: real vectors.
// The report embeds this same file (headscope/report.py); hs_shared.js comes in front of it.
//
// Data (headscope/arcs.py documents every field): words, arcs [{dependent, head, relation, level,
// on, hover, label}], levels, first, highlight, choices; per view, file (the download name) and
// clickable. One function, `layout`, places everything for a width; `draw` makes the SVG of those
// items for the page and for the file, so what is saved is what is seen. Words are SVG text nodes
// (textContent): never parsed as markup.
//
// Long texts: words keep WORD_PX and at least GAP px between them, and each label fits over its
// own arc; the diagram then grows wider than its box and scrolls sideways, to the chosen
// relation's first arc.

const WORD_PX = 15; // px, the words' font size: fixed, however long the text
const LABEL_PX = 12; // px, the relations on the arcs
const GAP = 18; // px at least between two words
const LEVEL_PX = 26; // px between the tops of arcs one level apart
const PAD = 12; // px around the drawing
const LABEL_PAD = 6; // px on either side of a label, inside its arc
const ARC_ON = "#e03131"; // the chosen relation's arcs, on light and dark pages
const MAX_STRETCH = 2.2; // a short sentence spreads to its box's width, up to this much
const FONT = "Helvetica, Arial, sans-serif"; // a downloaded file's font

let measurer = null;

// Width in px of `text` at `size` px in `family` (bold: a highlighted label), measured by the browser.
function textWidth(text, size, family, bold) {
  if (!measurer) measurer = document.createElement("canvas").getContext("2d");
  measurer.font = `${bold ? "700 " : ""}${size}px ${family}`;
  return Math.ceil(Math.max(measurer.measureText(text).width, text.length * size * 0.3));
}

// ---- one layout for the page and the file ---------------------------------------------

// Where every word, arc and label goes, for a box `width` px wide (the page; 0: no box).
function layout(d, width, family) {
  const n = d.words.length;
  const widths = d.words.map((w) => textWidth(w, WORD_PX, family, false));
  const labels = d.arcs.map((a) => textWidth(a.relation, LABEL_PX, family, true));
  const x = [];
  for (let i = 0; i < n; i++) x.push(i === 0 ? PAD + widths[0] / 2 : x[i - 1] + widths[i - 1] / 2 + GAP + widths[i] / 2);
  // every label fits over its own arc: shortest arcs first, the words after an arc move right
  const bySpan = d.arcs.map((a, k) => k).sort((p, q) => span(d.arcs[p]) - span(d.arcs[q]));
  for (const k of bySpan) {
    const [lo, hi] = ends(d.arcs[k]);
    const short = labels[k] + 2 * LABEL_PAD - (x[hi] - x[lo]);
    if (short > 0) for (let i = hi; i < n; i++) x[i] += short;
  }
  let right = n ? x[n - 1] + widths[n - 1] / 2 + PAD : 2 * PAD;
  if (width && right < width && n > 1) {
    // a short sentence: spread the words over the box (never closer than they are)
    const k = Math.min(MAX_STRETCH, (width - 2 * PAD - widths[0] / 2 - widths[n - 1] / 2) / (x[n - 1] - x[0]));
    if (k > 1) for (let i = 1; i < n; i++) x[i] = x[0] + (x[i] - x[0]) * k;
    right = x[n - 1] + widths[n - 1] / 2 + PAD;
  }
  const top = PAD + LABEL_PX + 4;
  const line = top + d.levels * LEVEL_PX; // where the arcs meet the words
  const wordY = line + 6 + WORD_PX / 2;
  // where each arc leaves or reaches a word: spread over the word, so that arcs do not cross there
  const attach = d.arcs.map(() => ({}));
  for (let i = 0; i < n; i++) {
    const here = [];
    d.arcs.forEach((a, k) => {
      for (const end of ["dependent", "head"]) {
        if (a[end] !== i) continue;
        const other = end === "dependent" ? a.head : a.dependent;
        here.push({ k, end, left: other < i, level: a.level });
      }
    });
    // arcs to the left first, lower ones further out; then arcs to the right, higher ones further in
    here.sort((p, q) => (p.left !== q.left ? (p.left ? -1 : 1) : p.left ? p.level - q.level : q.level - p.level));
    const step = here.length > 1 ? Math.min(6, (widths[i] * 0.7) / (here.length - 1)) : 0;
    here.forEach((e, m) => { attach[e.k][e.end] = x[i] + (m - (here.length - 1) / 2) * step; });
  }
  const arcs = d.arcs.map((a, k) => {
    const xa = Math.min(attach[k].dependent, attach[k].head);
    const xb = Math.max(attach[k].dependent, attach[k].head);
    const y = line - a.level * LEVEL_PX + 6;
    return { k, xa, xb, y, xd: attach[k].dependent, label: { x: (xa + xb) / 2, y: y - 4 - LABEL_PX / 2, w: labels[k] } };
  });
  return { width: Math.ceil(right), height: Math.ceil(wordY + WORD_PX / 2 + PAD), line, wordY, x, widths, arcs };
}

function span(a) {
  return Math.abs(a.dependent - a.head);
}

function ends(a) {
  return [Math.min(a.dependent, a.head), Math.max(a.dependent, a.head)];
}

function arcPath(it, line) {
  const r = Math.min(8, (it.xb - it.xa) / 2, line - it.y);
  return `M ${it.xa} ${line} V ${it.y + r} Q ${it.xa} ${it.y} ${it.xa + r} ${it.y} H ${it.xb - r} ` +
    `Q ${it.xb} ${it.y} ${it.xb} ${it.y + r} V ${line}`;
}

// The diagram as SVG: the same elements on the page and in the file (which adds a white background
// and its own text colour; currentColor is the page's text colour, light or dark theme).
function draw(d, g, family) {
  const root = svg("svg", { width: g.width, height: g.height, viewBox: `0 0 ${g.width} ${g.height}`,
                            "font-family": family, class: "hs-arcs-svg" });
  const arcs = svg("g", { class: "hs-arc-items" });
  for (const it of g.arcs) {
    const a = d.arcs[it.k];
    const colour = a.on ? ARC_ON : "currentColor";
    const item = svg("g", { class: "hs-arc" + (a.on ? " hs-on" : ""), "data-relation": a.relation,
                            "data-index": it.k });
    const path = arcPath(it, g.line);
    item.appendChild(svg("path", { d: path, fill: "none", stroke: colour, "stroke-width": a.on ? 2.5 : 1.2,
                                   "stroke-opacity": a.on ? 1 : 0.4, class: "hs-arc-line" }));
    // an arrow head at the dependent's end
    item.appendChild(svg("path", { d: `M ${it.xd - 4} ${g.line - 7} L ${it.xd + 4} ${g.line - 7} L ${it.xd} ${g.line} Z`,
                                   fill: colour, "fill-opacity": a.on ? 1 : 0.45, class: "hs-arc-head" }));
    item.appendChild(svg("text", { x: it.label.x, y: it.label.y, "text-anchor": "middle",
                                   "dominant-baseline": "central", "font-size": LABEL_PX,
                                   "font-weight": a.on ? "bold" : "normal", fill: a.on ? ARC_ON : "currentColor",
                                   "fill-opacity": a.on ? 1 : 0.75, class: "hs-arc-label" }, a.relation));
    arcs.appendChild(item);
  }
  root.appendChild(arcs);
  const words = svg("g", { class: "hs-words" });
  d.words.forEach((w, i) => {
    words.appendChild(svg("text", { x: g.x[i], y: g.wordY, "text-anchor": "middle", "dominant-baseline": "central",
                                    "font-size": WORD_PX, fill: "currentColor", class: "hs-word" }, w));
  });
  root.appendChild(words);
  return root;
}

function toSvg(d, g) {
  const picture = draw(d, g, FONT);
  picture.setAttribute("xmlns", SVG_NS);
  picture.setAttribute("style", `color: ${FILE_TEXT}`);
  picture.insertBefore(svg("rect", { x: 0, y: 0, width: g.width, height: g.height, fill: "white" }), picture.firstChild);
  return { text: new XMLSerializer().serializeToString(picture), width: g.width, height: g.height };
}

// ---- the diagram on the page ------------------------------------------------------------

// Hover, click and keys on each arc (its line, arrow and label); a click reports the relation.
function interact(root, body, picture, d, onPick) {
  const tip = make("div", "hs-tip");
  tip.hidden = true;
  const items = [...picture.querySelectorAll(".hs-arc")];
  const show = (item) => {
    const a = d.arcs[+item.dataset.index];
    tip.textContent = a.hover;
    tip.hidden = false;
    const outer = root.getBoundingClientRect();
    const box = item.querySelector(".hs-arc-label").getBoundingClientRect();
    let left = box.left - outer.left + box.width / 2 + 10;
    if (left + tip.offsetWidth > outer.width) left = Math.max(0, outer.width - tip.offsetWidth);
    tip.style.left = `${left}px`;
    tip.style.top = `${box.top - outer.top - tip.offsetHeight - 4}px`;
  };
  items.forEach((item, m) => {
    const a = d.arcs[+item.dataset.index];
    item.setAttribute("aria-label", a.label);
    // a wider see-through stroke along the arc: easier to point at than a thin line
    const line = item.querySelector(".hs-arc-line");
    item.insertBefore(svg("path", { d: line.getAttribute("d"), fill: "none", stroke: "transparent",
                                    "stroke-width": 10, class: "hs-arc-hit" }), line);
    item.addEventListener("mouseenter", () => show(item));
    item.addEventListener("mouseleave", () => { tip.hidden = true; });
    if (!d.clickable) {
      item.setAttribute("role", "img");
      return;
    }
    item.setAttribute("role", "button");
    item.setAttribute("tabindex", "0");
    const pick = () => onPick({ relation: a.relation, at: Date.now() });
    item.addEventListener("click", pick);
    item.addEventListener("focus", () => show(item));
    item.addEventListener("blur", () => { tip.hidden = true; });
    item.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); e.stopPropagation(); pick(); return; }
      const step = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
      if (step && items[m + step]) {
        e.preventDefault();
        e.stopPropagation();
        items[m + step].focus();
        items[m + step].scrollIntoView({ block: "nearest", inline: "nearest" });
      }
    });
  });
  return tip;
}

function paint(root, d, onPick) {
  const had = root.contains(document.activeElement) ? document.activeElement.dataset.index : undefined;
  const body = root.querySelector(":scope > .hs-arcs-body");
  const scrolled = body ? body.scrollLeft : 0;
  const family = getComputedStyle(root).fontFamily || FONT;
  const width = root.clientWidth || 900;
  const g = layout(d, width, family);
  const picture = draw(d, g, family);
  picture.setAttribute("role", "group");
  picture.setAttribute("aria-label", `Dependency parse: ${d.words.length} words, ${d.arcs.length} arcs` +
    (d.highlight ? `; ${d.highlight === "all" ? "every arc" : `the ${d.highlight} arcs`} in colour` : ""));
  const inner = make("div", "hs-arcs-body");
  inner.appendChild(picture);
  const tools = make("div", "hs-tools");
  const status = make("span", "hs-status");
  status.setAttribute("role", "status");
  tools.appendChild(status);
  if (g.width > width) status.textContent = "Scroll sideways for the rest of the sentence.";
  downloadButtons(tools, status, d.file, () => toSvg(d, g), "Words, arcs and labels as vectors");
  const tip = interact(root, inner, picture, d, onPick);
  root.replaceChildren(tools, inner, tip);
  root.dataset.drawn = String(d.arcs.length);
  // a long text: keep the reader's place on a redraw, else bring the chosen relation's first arc into view
  const where = `${d.highlight}|${d.words.length}|${d.words.join(" ").length}`;
  if (root.hsWhere === where) inner.scrollLeft = scrolled;
  else if (d.first !== null && d.first !== undefined && g.width > inner.clientWidth) {
    const it = g.arcs.find((a) => a.k === d.first);
    inner.scrollLeft = Math.max(0, Math.min(it.xa - 3 * GAP, it.label.x - inner.clientWidth / 2));
  }
  root.hsWhere = where;
  if (had !== undefined) root.querySelector(`.hs-arc[data-index="${had}"]`)?.focus({ preventScroll: true });
}

// Draw `data` into `parent` (a Streamlit element, or a report's div); returns a clean-up.
function render(parent, data, setStateValue) {
  let root = parent.querySelector(":scope > .hs-arcs");
  if (!root) {
    root = make("div", "hs-arcs");
    parent.appendChild(root);
  }
  const pick = (value) => setStateValue("pick", value);
  paint(root, data, pick);
  let width = root.clientWidth;
  if (root.hsWatcher) root.hsWatcher.disconnect();
  const watcher = new ResizeObserver(() => {
    if (Math.abs(root.clientWidth - width) > 24) {
      width = root.clientWidth;
      paint(root, data, pick);
    }
  });
  watcher.observe(root);
  root.hsWatcher = watcher;
  return () => watcher.disconnect();
}

if (typeof window !== "undefined") window.headscopeArcs = render; // the report calls it directly

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  return render(parentElement, data, setStateValue);
}
