// Headscope's heatmap grid: every matrix of the app, drawn on canvases, with hover values,
// clicks, keys, zoom and downloads. The report embeds this same file (headscope/report.py).
//
// Data (built by headscope/canvas.py, which documents every field): panels [{name, layer,
// head, badge, outlines, cells, text, hover}], rows, cols, blocks, first, full, rowLabels,
// colLabels, pooled, ticks, tickSize, columns, panelPx, panelHeight, fill, titleSize,
// clickable ("panel", "cell" or false), zoomable, rowTitle, colTitle, valueName, format,
// scale {kind, lo, hi, title, ticks, categories}, levels, hidden, palette (base64 RGBA),
// paletteDark (a diverging scale's palette for a dark page, or null);
// and, per view, file (the download name), selected ({layer, head} or null), reveal (a head just opened:
// scrolled into view, given the keyboard), aside (a note beside the figure: presentation's answer), and
// optionally blurOnPick (a picker gives the keys back to the page) and pickAction (what a click does, for the
// aria-label).
// Each grid element (.hs-grid) reports, for tests and tools, data-drawn (its panels), data-min-label-px (its
// smallest tick label drawn, CSS px; "" for none) and data-labels-skipped (the tick labels it left out for want
// of room, each axis counted once). Tick labels shrink to MIN_TICK px, then the panels wrap, before any is left out.
// A row of grids in one component (components/heatmaps.py, `row`): {row: [grid data, each with
// its file, selected and heading], widths}: each drawn as above, side by side.
//
// One function, `layout`, places everything (titles, labels, cells, outlines, colour bar) for
// a given width; the page (`paint`) and the SVG file (`toSvg`) both draw its items, so what
// is saved is what is seen. Every text that comes from the user's sentence is set with
// textContent or as an SVG text node: never parsed as markup. Elements, downloads: hs_shared.js,
// which Python puts in front of this file.

const XLINK_NS = "http://www.w3.org/1999/xlink";
const LABEL_CHARS = 16; // a tick label longer than this is cut with "…" (the hover names it whole)
const GAP = 16; // px between panels
const BAR = 12; // colour bar width, px
const MIN_LABELLED = 120; // px: the smallest panel drawn with tick labels before the grid wraps
const BAR_TICKS = [0, 0.25, 0.5, 0.75, 1]; // colour-bar ticks, as fractions of the scale
const AXIS_TITLE = 11; // px
const MIN_TICK = 11; // px: the smallest tick label drawn; a label that would need less room is left out
const FILL_TICK = 18; // px: a projector's tick labels, read from the back of the room, wherever the screen allows
const ASIDE_MIN = 240; // px: the narrowest room beside the figure for its note (presentation's answer)

function bytesOf(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// An embedded image, with both href (SVG 2) and xlink:href (older editors).
function svgImage(attrs, url) {
  const e = svg("image", attrs);
  e.setAttribute("href", url);
  e.setAttributeNS(XLINK_NS, "xlink:href", url);
  return e;
}

function short(label) {
  return label.length > LABEL_CHARS ? label.slice(0, LABEL_CHARS - 1) + "\u2026" : label;
}

// The palette index of a level (categorical scales: the level is the index).
function colourIndex(d, v, count) {
  if (d.scale.kind === "categorical") return Math.min(v, count - 1);
  return Math.round((v / d.levels) * (count - 1));
}

// The panel's cells as an image one pixel a cell (hidden cells, and transparent colours, see-through).
function cellImage(d, levels, rgba) {
  const canvas = document.createElement("canvas");
  canvas.width = d.cols;
  canvas.height = d.rows;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(d.cols, d.rows);
  const count = rgba.length / 4;
  for (let i = 0; i < levels.length; i++) {
    const v = levels[i];
    if (v === d.hidden) continue;
    const k = 4 * colourIndex(d, v, count);
    img.data.set(rgba.subarray(k, k + 4), 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

// The colour scale as a vertical image, high values at the top.
function barImage(rgba) {
  const count = rgba.length / 4;
  const canvas = document.createElement("canvas");
  canvas.width = 1;
  canvas.height = count;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(1, count);
  for (let i = 0; i < count; i++) img.data.set(rgba.subarray(4 * (count - 1 - i), 4 * (count - i)), 4 * i);
  ctx.putImageData(img, 0, 0);
  return canvas;
}

// A copy of a small image scaled up by a whole factor without smoothing (crisp cells in a file).
function scaled(image, px) {
  const k = Math.max(1, Math.ceil(px / Math.max(image.width, image.height)));
  const out = document.createElement("canvas");
  out.width = image.width * k;
  out.height = image.height * k;
  const ctx = out.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(image, 0, 0, out.width, out.height);
  return out;
}

function value(d, v) {
  return d.scale.lo + (v / d.levels) * (d.scale.hi - d.scale.lo);
}

function number(d, x) {
  if (d.format === "signed") return (x >= 0 ? "+" : "") + x.toFixed(3);
  if (d.format === "general") return String(+x.toPrecision(4));
  return x.toFixed(3);
}

function hoverText(d, k, i, j, v) {
  const p = d.panels[k];
  if (p.hover) return p.hover[i * d.cols + j];
  const where = `${d.rowLabels[i]} \u2192 ${d.colLabels[j]}`;
  if (v === d.hidden) return `${where}: not attended (a later token)`;
  return `${where}: ${d.pooled ? "max " : ""}${d.valueName} ${number(d, value(d, v))}`;
}

// Every k-th label, so that labels of `font` px do not overlap on cells of `cell` px (a label a cell
// needs a cell at least as tall as the font; rotated column labels, a cell as wide).
function labelStep(cell, font) {
  return Math.max(1, Math.ceil(font / cell - 1e-6));
}

function longest(labels) {
  return labels.reduce((n, s) => Math.max(n, short(s).length), 0);
}

function textWidth(chars, size) {
  return Math.ceil(chars * size * 0.62);
}

// White or near-black, whichever reads on a cell of palette entry k.
function inkOn(rgba, k) {
  const [r, g, b] = rgba.subarray(4 * k, 4 * k + 3);
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#111111" : "#ffffff";
}

// ---- one layout for the page and the file ---------------------------------------------

// Sizes: panels, labels, titles and the colour bar, for a page `width` px wide (0: the file, at the grid's
// own size) and at most `tall` px of panel height (a projector; 0: no limit), with tick labels of `tick` px.
// `how`: {cols, shareY, maxPanel} to lay out a given arrangement (else the grid's own columns, wrapped on a narrow
// page); shareY: row labels once at the left of each row of panels. A projector's layer (sharedAxes) also
// puts the column labels once under each column of panels, while there are columns (one panel a row, a
// phone: every panel keeps its own).
function geometry(d, width, tall, tick = d.tickSize, how = {}) {
  const yLabels = d.ticks ? Math.min(130, textWidth(longest(d.rowLabels), tick) + 8) : 0;
  // axis titles and the colour bar's numbers: on a projector as large as the tick labels
  const axis = d.fill ? Math.max(AXIS_TITLE, tick) : AXIS_TITLE;
  const yTitle = d.rowTitle ? axis + 8 : 0;
  const xLabels = d.colTicks ? Math.ceil(textWidth(longest(d.colLabels), tick) * 0.87) + 14 : 0;
  const xTitle = d.colTitle ? axis + 8 : 0;
  const categorical = d.scale.kind === "categorical";
  const legendChars = categorical ? longest(d.scale.categories.map((c) => c[0])) : 6;
  const barSpace = categorical ? textWidth(legendChars, 11) + 40 : BAR + 56;
  const shareY = how.shareY ?? !!d.sharedAxes;
  const fit = (n) => Math.floor((width - barSpace - yTitle - (shareY ? yLabels + n * GAP : n * (yLabels + GAP))) / n);
  let cols = how.cols ?? Math.min(d.columns, d.panels.length);
  // square cells wide enough for every label (a fixed row height: the columns' labels only)
  const need = (d.colTicks || (d.ticks && !d.panelHeight)) ? tick * d.cols : 0;
  let panel = Math.max(d.panelPx, need);
  if (width) {
    // panels with tick labels wrap to fewer columns rather than shrink below MIN_LABELLED
    // (a phone); the all-heads grid keeps a row per layer
    if (how.cols === undefined) while ((d.ticks || d.colTicks) && cols > 1 && fit(cols) < MIN_LABELLED) cols -= 1;
    panel = d.fill ? Math.max(24, fit(cols)) : Math.max(24, Math.min(panel, fit(cols)));
    if (how.maxPanel) panel = Math.min(panel, how.maxPanel);
  }
  const shareX = !!d.sharedAxes && cols > 1;
  const badges = d.panels.some((p) => p.badge);
  const named = d.panels.some((p) => p.name);
  const title = (named ? Math.round(d.titleSize * 1.6) : 4) + (badges ? Math.round(d.titleSize * 1.3) : 0);
  const rows = Math.ceil(d.panels.length / cols);
  let height = d.panelHeight ? Math.round((d.panelHeight * panel) / d.panelPx) : Math.round((panel * d.rows) / d.cols);
  if (d.panelHeight && !d.fill) height = d.panelHeight; // a fixed height a row: long matrices
  if (tall) {
    // fit the grid's rows into `tall` px: shrink the panels (and their width with them)
    const room = shareX ? Math.floor((tall - xLabels - xTitle - rows * (title + GAP)) / rows)
      : Math.floor((tall - rows * (title + xLabels + xTitle + GAP)) / rows);
    if (room < height && room > 24) {
      panel = Math.max(24, Math.floor((panel * room) / height));
      height = room;
    }
  }
  const cellW = (shareY ? 0 : yLabels) + panel + GAP;
  const cellH = title + height + (shareX ? 0 : xLabels + xTitle) + GAP;
  const cw = panel / d.cols;
  const ch = height / d.rows;
  const rowStep = labelStep(ch, tick);
  const colStep = labelStep(cw, tick);
  // token labels left out for want of room (each axis counted once: the panels repeat the same labels)
  const skipped = (d.ticks ? d.rows - Math.ceil(d.rows / rowStep) : 0) + (d.colTicks ? d.cols - Math.ceil(d.cols / colStep) : 0);
  return { yLabels, yTitle, xLabels, xTitle, axis, panel, height, title, cellW, cellH, rows, cols, barSpace, cw, ch, badges,
           shareY, shareX, left: yTitle + (shareY ? yLabels : 0),
           width: yTitle + (shareY ? yLabels : 0) + cols * cellW + barSpace,
           totalHeight: rows * cellH + (shareX ? xLabels + xTitle : 0),
           tick, rowStep, colStep, skipped, labelled: !!(d.ticks || d.colTicks) };
}

// The layout for a page `width` px wide: every tick label drawn where it can be, none under MIN_TICK px.
function fitted(d, width, tall) {
  if (!width) return geometry(d, 0, 0);
  if (d.fill) return filling(d, width, tall);
  const base = geometry(d, width, 0);
  if (!base.labelled || base.skipped === 0) return base;
  // smaller labels (down to MIN_TICK; at each size, row labels beside every panel, else once a row of panels),
  // then fewer panels a row (down to half the grid's own columns): the first layout that leaves no label out
  const lowest = Math.max(1, Math.min(base.cols, Math.ceil(d.columns / 2)));
  for (let cols = base.cols; cols >= lowest; cols--) {
    for (let tick = d.tickSize; tick >= MIN_TICK; tick--) {
      for (const shareY of cols > 1 ? [false, true] : [false]) {
        const g = geometry(d, width, 0, tick, { cols, shareY });
        if (g.skipped === 0) return g;
      }
    }
  }
  return geometry(d, width, 0, MIN_TICK, { cols: base.cols, shareY: !!d.sharedAxes }); // some left out
}

// A projector: the arrangement of the panels (how many a row) and the label size that read best. First, of
// those that fit the screen's height with labels of FILL_TICK px or more, the largest panels; else (too
// many labels for the height: a 4:3 or 720p projector's layer) the one that scrolls least with such labels
// (the most panels a row, each just large enough for them); else (a phone) the largest labels. Labels are as large as the cells allow, up to the
// grid's own size, and never left out while MIN_TICK px would fit them.
function filling(d, width, tall) {
  const readable = Math.min(FILL_TICK, d.tickSize);
  const best = (limit) => {
    const out = [];
    for (let cols = 1; cols <= d.panels.length; cols++) {
      // column labels once under each column: full rows only (else a short last row leaves columns whose
      // labels would sit between two rows of panels)
      if (d.sharedAxes && cols > 1 && d.panels.length % cols) continue;
      for (let tick = d.tickSize; tick >= MIN_TICK; tick--) {
        const g = geometry(d, width, limit, tick, { cols });
        if (!g.labelled || g.skipped === 0) { out.push(g); break; }
      }
    }
    return out;
  };
  const fits = best(tall).filter((g) => g.tick >= readable && (!tall || g.totalHeight <= tall));
  if (fits.length) return fits.reduce((a, b) => (b.panel > a.panel || (b.panel === a.panel && b.tick > a.tick) ? b : a));
  const scroll = best(0);
  const large = scroll.filter((g) => g.tick >= readable);
  if (large.length) { // the panels no larger than such labels need: the least to scroll
    const { cols } = large.reduce((a, b) => (b.cols > a.cols ? b : a));
    return geometry(d, width, 0, readable, { cols, maxPanel: Math.ceil(readable * d.cols) });
  }
  if (scroll.length) return scroll.reduce((a, b) => (b.tick > a.tick || (b.tick === a.tick && b.panel > a.panel) ? b : a));
  return geometry(d, width, tall, MIN_TICK);
}

function barTicks(d) {
  const s = d.scale;
  return (s.ticks && s.ticks.length ? s.ticks : BAR_TICKS.map((t) => s.lo + t * (s.hi - s.lo)))
    .map((v) => ({ at: (v - s.lo) / (s.hi - s.lo || 1), text: String(+v.toFixed(3)) }));
}

// Every item of the grid, placed: {kind, panel (index or -1), x, y, ...}.
function layout(d, g, rgba) {
  const items = [];
  const text = (panel, cls, x, y, size, label, extra = {}) =>
    items.push({ kind: "text", panel, cls, x, y, size, text: label, anchor: "middle", angle: 0, ...extra });
  d.panels.forEach((p, k) => {
    const r = Math.floor(k / g.cols);
    const c = k % g.cols;
    const x0 = g.left + c * g.cellW + (g.shareY ? 0 : g.yLabels);
    const y0 = r * g.cellH + g.title;
    items.push({ kind: "panel", panel: k, x: x0, y: y0, w: g.panel, h: g.height });
    if (p.name) {
      const nameY = y0 - 4 - Math.round(d.titleSize * 0.5) - (g.badges ? Math.round(d.titleSize * 1.3) : 0);
      text(k, "hs-name", x0 + g.panel / 2, nameY, d.titleSize, p.name, { bold: true });
    }
    if (g.badges) {
      const size = Math.max(9, Math.round(d.titleSize * 0.85));
      text(k, "hs-badge" + ((p.badge || "").startsWith("follows") ? " hs-follows" : ""), x0 + g.panel / 2,
           y0 - 4 - Math.round(size * 0.5), size, p.badge || "\u00a0", { clip: g.panel + (g.shareY ? 0 : g.yLabels) });
    }
    items.push({ kind: "cells", panel: k, x: x0, y: y0, w: g.panel, h: g.height });
    for (const [r0, c0, r1, c1] of p.outlines || []) {
      items.push({ kind: "box", panel: k, cls: "hs-arc", x: x0 + c0 * g.cw, y: y0 + r0 * g.ch,
                   w: (c1 - c0 + 1) * g.cw, h: (r1 - r0 + 1) * g.ch });
    }
    if (p.text) {
      const count = rgba.length / 4;
      const size = Math.max(8, Math.min(12, Math.floor(g.cw / 3.2), Math.floor(g.ch * 0.5)));
      const levels = d.decoded[k];
      for (let i = 0; i < d.rows; i++) {
        for (let j = 0; j < d.cols; j++) {
          const t = p.text[i * d.cols + j];
          if (!t) continue;
          const v = levels[i * d.cols + j];
          const ink = v === d.hidden ? null : inkOn(rgba, colourIndex(d, v, count));
          text(k, "hs-celltext", x0 + (j + 0.5) * g.cw, y0 + (i + 0.5) * g.ch, size, t, { ink });
        }
      }
    }
    const bottom = r === g.rows - 1 || k + g.cols >= d.panels.length; // nothing below this panel
    if (d.ticks && (!g.shareY || c === 0)) {
      for (let i = 0; i < d.rows; i += g.rowStep) {
        text(k, "hs-ylabel", x0 - 4, y0 + (i + 0.5) * g.ch, g.tick, short(d.rowLabels[i]), { anchor: "end" });
      }
    }
    if (d.colTicks && (!g.shareX || bottom)) {
      for (let j = 0; j < d.cols; j += g.colStep) {
        text(k, "hs-xlabel", x0 + (j + 0.5) * g.cw, y0 + g.height + 4, g.tick, short(d.colLabels[j]),
             { anchor: "end", angle: -60 });
      }
    }
    if (c === 0 && d.rowTitle) {
      text(k, "hs-ytitle", g.axis / 2 + 2, y0 + g.height / 2, g.axis, d.rowTitle, { angle: -90 });
    }
    // the panels with nothing below them carry the column title
    if (d.colTitle && bottom) {
      text(k, "hs-xtitle", x0 + g.panel / 2, y0 + g.height + g.xLabels + g.axis / 2 + 2, g.axis, d.colTitle);
    }
  });
  // the colour bar (or a categorical legend), beside the first row
  const bx = g.left + g.cols * g.cellW + 8;
  const by = g.title;
  items.push({ kind: "text", panel: -1, cls: "hs-bar-title", x: bx, y: by - 12, size: 11, text: d.scale.title,
               anchor: "start", angle: 0 });
  if (d.scale.kind === "categorical") {
    d.scale.categories.forEach(([name, colour], i) => {
      const y = by + i * 18;
      items.push({ kind: "swatch", panel: -1, x: bx, y, w: 12, h: 12, colour });
      items.push({ kind: "text", panel: -1, cls: "hs-legend", x: bx + 18, y: y + 6, size: 11, text: name,
                   anchor: "start", angle: 0 });
    });
  } else {
    const bh = Math.max(120, Math.min(240, g.totalHeight - GAP - g.title));
    items.push({ kind: "bar", panel: -1, x: bx, y: by, w: BAR, h: bh });
    const size = g.axis > AXIS_TITLE ? g.axis : 10;
    for (const t of barTicks(d)) { // the top number stays inside the grid's box
      items.push({ kind: "text", panel: -1, cls: "hs-bar-tick", x: bx + BAR + 4,
                   y: Math.max(size / 2 + 1, by + (1 - t.at) * bh), size,
                   text: t.text, anchor: "start", angle: 0 });
    }
    g.barBottom = by + bh;
  }
  g.legendBottom = d.scale.kind === "categorical" ? by + d.scale.categories.length * 18 : g.barBottom;
  return items;
}

// ---- the grid on the page -------------------------------------------------------------

const ORIGIN = { start: "0 50%", middle: "50% 50%", end: "100% 50%" };
const SHIFT = { start: "0", middle: "-50%", end: "-100%" };

function placeText(it, dx, dy) {
  const e = make("span", it.cls, it.text);
  e.style.left = `${it.x - dx}px`;
  e.style.top = `${it.y - dy}px`;
  e.style.fontSize = `${it.size}px`;
  if (it.bold) e.style.fontWeight = "700";
  if (it.ink) e.style.color = it.ink;
  if (it.clip) { e.style.maxWidth = `${it.clip}px`; e.title = it.text.trim(); }
  e.style.transformOrigin = ORIGIN[it.anchor];
  e.style.transform = `translate(${SHIFT[it.anchor]}, -50%)` + (it.angle ? ` rotate(${it.angle}deg)` : "");
  return e;
}

function paint(root, d, g, items, images, rgba, onPick, onZoom, forFile) {
  // a redraw (new data after a click, a new width) keeps the keyboard on the same head
  const had = root.contains(document.activeElement) ? document.activeElement.dataset : null;
  const refocus = had && had.panel !== undefined ? `canvas[data-panel="${had.panel}"]` : null;
  root.replaceChildren();
  const tip = make("div", "hs-tip");
  tip.hidden = true;
  const body = make("div", "hs-body");
  const plane = make("div", "hs-plane");
  plane.style.width = `${g.width}px`;
  plane.style.height = `${Math.max(g.totalHeight, (g.legendBottom || 0) + 24)}px`;
  const boxes = [];
  for (const it of items) {
    if (it.kind === "panel") {
      const p = d.panels[it.panel];
      const box = make("div", "hs-panel");
      box.dataset.name = p.name;
      box.dataset.badge = p.badge || "";
      box.dataset.arcs = String((p.outlines || []).length);
      box.style.left = `${it.x}px`;
      box.style.top = `${it.y}px`;
      boxes[it.panel] = { box, x: it.x, y: it.y };
      plane.appendChild(box);
      continue;
    }
    const host = it.panel >= 0 ? boxes[it.panel] : { box: plane, x: 0, y: 0 };
    if (it.kind === "text") host.box.appendChild(placeText(it, host.x, host.y));
    else if (it.kind === "cells") host.box.appendChild(cellCanvas(root, d, g, it, images, tip, onPick, onZoom));
    else if (it.kind === "box") {
      const e = make("div", it.cls);
      Object.assign(e.style, { left: `${it.x - host.x}px`, top: `${it.y - host.y}px`, width: `${it.w}px`, height: `${it.h}px` });
      host.box.appendChild(e);
    } else if (it.kind === "bar") {
      const bar = barImage(rgba);
      bar.className = "hs-barcells";
      Object.assign(bar.style, { left: `${it.x}px`, top: `${it.y}px`, width: `${it.w}px`, height: `${it.h}px` });
      const wrap = make("div", "hs-bar");
      wrap.appendChild(bar);
      plane.appendChild(wrap);
    } else if (it.kind === "swatch") {
      const e = make("div", "hs-swatch");
      Object.assign(e.style, { left: `${it.x}px`, top: `${it.y}px`, width: `${it.w}px`, height: `${it.h}px`,
                               background: it.colour || "transparent" });
      plane.appendChild(e);
    }
  }
  body.appendChild(plane);
  const tools = make("div", "hs-tools");
  const status = make("span", "hs-status");
  status.setAttribute("role", "status");
  tools.appendChild(status);
  if (d.zoomable && d.zoomed) {
    const out = make("button", "hs-download", "Reset zoom");
    out.type = "button";
    out.addEventListener("click", () => onZoom(null));
    tools.appendChild(out);
  }
  downloadButtons(tools, status, d.file, () => { const f = forFile(); return toSvg(d, f.images, f.rgba); },
                  "Labels as vector text; the cells as an embedded image");
  // the figure's note (presentation: the answer), beside it where there is room, else above it on a phone
  // and under it on a wider screen
  let figure = body;
  if (d.aside) {
    const note = make("p", "hs-aside", d.aside);
    // beside a projector's figure, as large as its room allows (16 to 26 px: about 30 characters a line or more)
    if (g.aside === "beside") note.style.fontSize = `${Math.round(Math.max(16, Math.min(26, g.room / 30)))}px`;
    figure = make("div", "hs-figure" + (g.aside === "beside" ? " hs-beside" : ""));
    if (g.aside === "above") figure.append(note, body);
    else figure.append(body, note);
  }
  if (d.fill) root.append(figure, tools, tip); // a projector: the figure first, the buttons under it
  else root.append(tools, figure, tip);
  root.dataset.drawn = String(d.panels.length);
  // for tests and tools: the smallest tick label drawn, in CSS px ("" for none), and how many were left out
  root.dataset.minLabelPx = g.labelled && items.some((it) => it.cls === "hs-ylabel" || it.cls === "hs-xlabel") ? String(g.tick) : "";
  root.dataset.labelsSkipped = String(g.labelled ? g.skipped : 0);
  if (refocus) root.querySelector(refocus)?.focus();
}

function cellCanvas(root, d, g, it, images, tip, onPick, onZoom) {
  const k = it.panel;
  const p = d.panels[k];
  const canvas = document.createElement("canvas");
  canvas.className = "hs-cells";
  canvas.width = images[k].width;
  canvas.height = images[k].height;
  canvas.getContext("2d").drawImage(images[k], 0, 0);
  canvas.style.width = `${it.w}px`;
  canvas.style.height = `${it.h}px`;
  canvas.dataset.panel = String(k);
  if (p.layer !== null && p.layer !== undefined) {
    canvas.dataset.layer = p.layer;
    canvas.dataset.head = p.head;
  }
  const arcs = (p.outlines || []).length;
  const what = p.layer !== null && p.layer !== undefined ? `L${p.layer}H${p.head}: layer ${p.layer}, head ${p.head}`
    : (p.name || d.scale.title);
  const action = d.clickable && d.pickAction ? `. ${d.pickAction}` : d.clickable === "panel" ? ". Click to open it large." :
    d.clickable === "cell" ? ". Click a cell, or move with the arrow keys and press Enter, to open that head." :
    d.zoomable ? ". Drag over cells to zoom in; keys: + and - zoom, arrows move, 0 resets." : "";
  canvas.setAttribute("role", d.clickable || d.zoomable ? "button" : "img");
  canvas.setAttribute("aria-label", what + (p.badge ? ` (${p.badge})` : "") +
    (arcs ? `, ${arcs} arc${arcs > 1 ? "s" : ""} outlined` : "") + action);
  const sel = d.selected;
  if (sel && d.clickable === "panel" && sel.layer === p.layer && sel.head === p.head) canvas.classList.add("hs-picked");
  const cellOf = (e) => {
    const rect = canvas.getBoundingClientRect();
    const j = Math.min(d.cols - 1, Math.floor(((e.clientX - rect.left) / rect.width) * d.cols));
    const i = Math.min(d.rows - 1, Math.floor(((e.clientY - rect.top) / rect.height) * d.rows));
    return [i, j];
  };
  const showTip = (i, j, x, y) => {
    tip.replaceChildren(...(p.name && !p.hover ? [make("b", "", p.name)] : []),
                        make("span", "", ` ${hoverText(d, k, i, j, d.decoded[k][i * d.cols + j])}`));
    tip.hidden = false;
    const outer = root.getBoundingClientRect();
    let left = x - outer.left + 14;
    if (left + tip.offsetWidth > outer.width) left = Math.max(0, x - outer.left - tip.offsetWidth - 14);
    tip.style.left = `${left}px`;
    tip.style.top = `${y - outer.top + 16}px`;
  };
  canvas.addEventListener("mousemove", (e) => {
    const [i, j] = cellOf(e);
    if (i < 0 || j < 0) return;
    showTip(i, j, e.clientX, e.clientY);
    if (drag) drag.update(i, j);
  });
  canvas.addEventListener("mouseleave", () => { tip.hidden = true; });

  // a cell cursor for the keyboard (cell-click grids), shown as an outline
  let cursor = null;
  const cursorBox = make("div", "hs-cursor");
  cursorBox.hidden = true;
  const moveCursor = (i, j) => {
    cursor = [Math.max(0, Math.min(d.rows - 1, i)), Math.max(0, Math.min(d.cols - 1, j))];
    cursorBox.style.left = `${cursor[1] * g.cw}px`;
    cursorBox.style.top = `${cursor[0] * g.ch}px`;
    cursorBox.style.width = `${g.cw}px`;
    cursorBox.style.height = `${g.ch}px`;
    cursorBox.hidden = false;
    const r = canvas.getBoundingClientRect();
    showTip(cursor[0], cursor[1], r.left + (cursor[1] + 1) * g.cw, r.top + (cursor[0] + 0.5) * g.ch);
  };
  if (d.clickable === "cell" && sel && sel.layer !== undefined && sel.layer < d.rows && sel.head < d.cols) {
    const picked = make("div", "hs-cellpick");
    Object.assign(picked.style, { left: `${sel.head * g.cw}px`, top: `${sel.layer * g.ch}px`, width: `${g.cw}px`,
                                  height: `${g.ch}px` });
    queueMicrotask(() => canvas.parentElement && canvas.parentElement.appendChild(picked));
  }
  queueMicrotask(() => canvas.parentElement && canvas.parentElement.appendChild(cursorBox));

  // a rubber band over the cells: a window of the text to zoom into
  let drag = null;
  if (d.zoomable) {
    const band = make("div", "hs-band");
    band.hidden = true;
    queueMicrotask(() => canvas.parentElement && canvas.parentElement.appendChild(band));
    canvas.addEventListener("mousedown", (e) => {
      const [i, j] = cellOf(e);
      drag = { i0: i, j0: j, i1: i, j1: j, update(a, b) {
        this.i1 = a; this.j1 = b;
        const [r0, r1] = [Math.min(this.i0, a), Math.max(this.i0, a)];
        const [c0, c1] = [Math.min(this.j0, b), Math.max(this.j0, b)];
        Object.assign(band.style, { left: `${c0 * g.cw}px`, top: `${r0 * g.ch}px`, width: `${(c1 - c0 + 1) * g.cw}px`,
                                    height: `${(r1 - r0 + 1) * g.ch}px` });
        band.hidden = false;
      } };
      e.preventDefault();
      window.addEventListener("mouseup", () => {
        if (!drag) return;
        const { i0, j0, i1, j1 } = drag;
        drag = null;
        band.hidden = true;
        if (Math.abs(i1 - i0) < 1 && Math.abs(j1 - j0) < 1) return; // a click, not a drag
        onZoom(windowOf(d, Math.min(i0, i1), Math.min(j0, j1), Math.max(i0, i1), Math.max(j0, j1)));
      }, { once: true });
    });
  }

  if (d.clickable || d.zoomable) {
    canvas.tabIndex = 0;
    const pick = (i, j) => {
      if (d.clickable === "panel") {
        root.querySelectorAll(".hs-picked").forEach((x) => x.classList.remove("hs-picked"));
        canvas.classList.add("hs-picked");
        onPick({ layer: p.layer, head: p.head });
      } else if (d.clickable === "cell") {
        onPick({ layer: i, head: j });
      }
      if (d.blurOnPick) canvas.blur(); // a picker: the page's own keys (a projector's arrows) work again
    };
    canvas.addEventListener("click", (e) => {
      if (d.clickable === "cell") { const [i, j] = cellOf(e); pick(i, j); } else if (d.clickable) pick();
    });
    canvas.addEventListener("keydown", (e) => {
      if (["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Enter", " ", "+", "=", "-", "0"].includes(e.key)) {
        e.stopPropagation(); // the grid's keys, not the page's shortcuts as well
      }
      const step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
      if (d.clickable === "cell") {
        if (step) { e.preventDefault(); const [i, j] = cursor || [0, 0]; moveCursor(i + (cursor ? step[0] : 0), j + (cursor ? step[1] : 0)); }
        else if ((e.key === "Enter" || e.key === " ") && cursor) { e.preventDefault(); pick(cursor[0], cursor[1]); }
        return;
      }
      if (d.clickable === "panel" && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); pick(); return; }
      if (d.zoomable) {
        const w = zoomKey(d, e.key);
        if (w !== undefined) { e.preventDefault(); onZoom(w); }
      }
    });
    canvas.addEventListener("blur", () => { cursorBox.hidden = true; tip.hidden = true; });
  }
  return canvas;
}

// Token range [r0, c0, r1, c1] (inclusive, whole text) of the cells i0..i1, j0..j1 shown.
function windowOf(d, i0, j0, i1, j1) {
  const [rb, cb] = d.blocks;
  const [fr, fc] = d.first;
  const [n, m] = d.full;
  return { r0: fr + i0 * rb, c0: fc + j0 * cb, r1: Math.min(n - 1, fr + (i1 + 1) * rb - 1),
           c1: Math.min(m - 1, fc + (j1 + 1) * cb - 1) };
}

// The window after a key: + and - zoom around the centre, arrows move, 0 resets (null).
function zoomKey(d, key) {
  const [n, m] = d.full;
  const [fr, fc] = d.first;
  const h = Math.ceil(d.rows * d.blocks[0]);
  const w = Math.ceil(d.cols * d.blocks[1]);
  const clamp = (a, size, total) => Math.max(0, Math.min(total - size, a));
  const box = (r0, c0, hh, ww) => {
    hh = Math.max(2, Math.min(n, hh));
    ww = Math.max(2, Math.min(m, ww));
    r0 = clamp(r0, hh, n);
    c0 = clamp(c0, ww, m);
    return { r0, c0, r1: r0 + hh - 1, c1: c0 + ww - 1 };
  };
  if (key === "0" || key === "Escape") return null;
  if (key === "+" || key === "=") return box(fr + Math.floor(h / 4), fc + Math.floor(w / 4), Math.ceil(h / 2), Math.ceil(w / 2));
  if (key === "-") {
    const win = box(fr - Math.floor(h / 2), fc - Math.floor(w / 2), h * 2, w * 2);
    return win.r1 - win.r0 + 1 >= n && win.c1 - win.c0 + 1 >= m ? null : win;
  }
  const step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[key];
  if (step && d.zoomed) return box(fr + step[0] * Math.ceil(h / 4), fc + step[1] * Math.ceil(w / 4), h, w);
  return undefined;
}

// ---- the grid as a file ---------------------------------------------------------------

function toSvg(d, images, rgba) {
  const g = geometry(d, 0, 0);
  const items = layout(d, g, rgba);
  const pad = 10;
  const width = g.width + 2 * pad;
  const height = Math.max(g.totalHeight, (g.legendBottom || 0) + GAP) + 2 * pad;
  const root = svg("svg", { xmlns: SVG_NS, width, height, viewBox: `0 0 ${width} ${height}`,
                            "font-family": "Helvetica, Arial, sans-serif", fill: FILE_TEXT });
  root.appendChild(svg("rect", { x: 0, y: 0, width, height, fill: "white" }));
  const at = svg("g", { transform: `translate(${pad} ${pad})` });
  root.appendChild(at);
  for (const it of items) {
    if (it.kind === "text") {
      const attrs = { x: it.x, y: it.y, "text-anchor": it.anchor, "dominant-baseline": "central", "font-size": it.size,
                      class: it.cls };
      if (it.bold) attrs["font-weight"] = "bold";
      if (it.ink) attrs.fill = it.ink;
      if (it.angle) attrs.transform = `rotate(${it.angle} ${it.x} ${it.y})`;
      if (it.text.trim()) at.appendChild(svg("text", attrs, it.text));
    } else if (it.kind === "cells") {
      at.appendChild(svgImage({ x: it.x, y: it.y, width: it.w, height: it.h, preserveAspectRatio: "none",
                                "image-rendering": "pixelated" }, scaled(images[it.panel], 2 * Math.max(it.w, it.h)).toDataURL("image/png")));
    } else if (it.kind === "box") {
      at.appendChild(svg("rect", { x: it.x, y: it.y, width: it.w, height: it.h, fill: "none", stroke: "#ffffff",
                                   "stroke-width": 2, class: it.cls }));
    } else if (it.kind === "bar") {
      at.appendChild(svgImage({ x: it.x, y: it.y, width: it.w, height: it.h, preserveAspectRatio: "none" },
                              scaled(barImage(rgba), it.h).toDataURL("image/png")));
    } else if (it.kind === "swatch" && it.colour) {
      at.appendChild(svg("rect", { x: it.x, y: it.y, width: it.w, height: it.h, fill: it.colour }));
    } else if (it.kind === "swatch") {
      at.appendChild(svg("rect", { x: it.x, y: it.y, width: it.w, height: it.h, fill: "none", stroke: "#999999" }));
    }
  }
  return { text: new XMLSerializer().serializeToString(root), width, height };
}

// ---- entry points ---------------------------------------------------------------------

function decode(d) {
  return d.panels.map((p) => {
    const raw = bytesOf(p.cells);
    return new Uint16Array(raw.buffer, 0, raw.length / 2);
  });
}

// Room for the panels' height: the window below the grid's top (a projector), or no limit. On a
// projector the download buttons go under the figure (paint), so the figure has all of it.
function tallness(root, d) {
  if (!d.fill) return 0;
  const top = root.getBoundingClientRect().top + window.scrollY;
  return Math.max(200, window.innerHeight - Math.max(0, top) - 8);
}

// A projector: the download buttons wait just under the window's bottom edge (a scroll away),
// rather than cut in half by it.
function underTheFold(root) {
  const tools = root.querySelector(":scope > .hs-tools");
  if (!tools) return;
  tools.style.marginTop = "0px";
  tools.style.marginTop = `${Math.max(0, Math.ceil(window.innerHeight - tools.getBoundingClientRect().top))}px`;
}

// Whether the page behind `el` is dark: Streamlit's theme variable, else the first background colour found
// up the tree (the report), else light.
function onDarkPage(el) {
  let colour = getComputedStyle(el).getPropertyValue("--st-background-color").trim();
  for (let e = el; !colour && e && e.nodeType === 1; e = e.parentElement) {
    const bg = getComputedStyle(e).backgroundColor;
    if (bg && !/^(transparent|rgba\(.*,\s*0\))$/.test(bg)) colour = bg;
  }
  const probe = document.createElement("canvas").getContext("2d");
  probe.fillStyle = "#ffffff";
  probe.fillStyle = colour || "#ffffff"; // any CSS colour, read back as #rrggbb
  const hex = probe.fillStyle;
  if (!/^#[0-9a-f]{6}$/i.test(hex)) return false;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return 0.299 * r + 0.587 * g + 0.114 * b < 128;
}

// Grids side by side in one element: each in a cell of a flex row (its share of the width from
// `widths`), under its heading; a narrow window wraps them one under another. One mount for a row of
// figures, where Streamlit columns cost a block, an element and a mount each.
function renderRow(parent, data, setStateValue) {
  let box = parent.querySelector(":scope > .hs-row");
  if (!box) {
    box = make("div", "hs-row");
    parent.appendChild(box);
  }
  // side by side only while the narrowest share is 240 px or more (the CSS): so many of it fill the row
  const shares = data.row.map((_, i) => (data.widths || [])[i] || 1);
  box.style.setProperty("--hs-count", String(shares.reduce((a, b) => a + b, 0) / Math.min(...shares)));
  while (box.children.length > data.row.length) {
    const gone = box.lastElementChild; // a shorter row: its last grids go, and their size watchers with them
    gone.querySelector(":scope > .hs-grid")?.hsWatcher?.disconnect();
    gone.remove();
  }
  // every cell, with its share and heading, before any grid is drawn: each is drawn once, at its width
  const cells = data.row.map((grid, i) => {
    let cell = box.children[i];
    if (!cell) {
      cell = make("div", "hs-rowcell");
      cell.appendChild(make("div", "hs-heading"));
      box.appendChild(cell);
    }
    cell.style.flexGrow = String(shares[i]);
    const heading = cell.firstElementChild;
    heading.textContent = grid.heading || "";
    heading.hidden = !grid.heading;
    return cell;
  });
  const cleanups = data.row.map((grid, i) => render(cells[i], grid, setStateValue));
  return () => cleanups.forEach((done) => done());
}

// Draw `data` into `parent` (a Streamlit element, or a report's div); returns a clean-up.
function render(parent, data, setStateValue) {
  if (data.row) return renderRow(parent, data, setStateValue);
  let root = parent.querySelector(":scope > .hs-grid");
  if (!root) {
    root = make("div", "hs-grid");
    parent.appendChild(root);
  }
  data.decoded = decode(data);
  // a diverging scale's middle follows the page (white on a light page, dark grey on a dark one); a file is
  // drawn for a white page whatever the theme, so it keeps the light palette
  const light = bytesOf(data.palette);
  const rgba = data.paletteDark && onDarkPage(parent) ? bytesOf(data.paletteDark) : light;
  const images = data.decoded.map((l) => cellImage(data, l, rgba));
  const forFile = () => (rgba === light ? { images, rgba } : { images: data.decoded.map((l) => cellImage(data, l, light)), rgba: light });
  const pick = (head) => setStateValue("head", head);
  const zoom = (win) => setStateValue("zoom", win);
  const redraw = () => {
    const width = root.clientWidth || 900;
    const g = fitted(data, width, tallness(root, data));
    if (data.aside) {
      g.room = width - g.width - 24;
      g.aside = g.room >= ASIDE_MIN ? "beside" : width < 640 ? "above" : "below";
    }
    paint(root, data, g, layout(data, g, rgba), images, rgba, pick, zoom, forFile);
    if (data.fill) underTheFold(root);
  };
  redraw();
  // a head just opened (a click, Enter): bring it into view, where the user is looking, and give it the keyboard
  if (data.reveal) {
    requestAnimationFrame(() => {
      root.scrollIntoView({ block: "nearest", behavior: "smooth" });
      root.querySelector("canvas.hs-cells[tabindex]")?.focus({ preventScroll: true });
    });
  }
  let width = root.clientWidth;
  let tall = window.innerHeight;
  if (root.hsWatcher) root.hsWatcher.disconnect(); // the last render's, if its clean-up did not run
  const watcher = new ResizeObserver(() => {
    // a new page width (sidebar folded, window resized) or, for a projector, a new height
    if (Math.abs(root.clientWidth - width) > 24 || (data.fill && Math.abs(window.innerHeight - tall) > 24)) {
      width = root.clientWidth;
      tall = window.innerHeight;
      redraw();
    }
  });
  watcher.observe(root);
  if (data.fill) watcher.observe(document.documentElement);
  root.hsWatcher = watcher;
  return () => watcher.disconnect();
}

if (typeof window !== "undefined") window.headscopeGrid = render; // the report calls it directly

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  return render(parentElement, data, setStateValue);
}
