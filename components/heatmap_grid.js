// Headscope's heatmap grid: heads drawn on canvases, with hover values, clicks and downloads.
//
// Data (built by headscope/canvas.py): panels [{name, layer, head, badge, outlines, cells}] where
// badge names what the head does (corpus verdict; "" for none), outlines are [row0, col0, row1,
// col1] cell ranges to outline (a relation's arcs), and cells is a
// base64 little-endian uint16 array (rows x cols levels 0..levels over 0..zmax; `hidden`
// marks a cell that is not drawn), rows, cols, rowLabels, colLabels, pooled, ticks,
// tickSize, columns, panelPx, titleSize, clickable, zmax, levels, hidden, palette (base64
// RGB triples); and, per view, file (the download name) and selected ({layer, head} or null).
//
// Every text that comes from the user's sentence is set with textContent or as an SVG text
// node: never parsed as markup.

const SVG_NS = "http://www.w3.org/2000/svg";
const XLINK_NS = "http://www.w3.org/1999/xlink";
const LABEL_CHARS = 16; // a tick label longer than this is cut with "…" (the hover names it whole)
const GAP = 16; // px between panels
const BAR = 12; // colour bar width, px
const MIN_LABELLED = 120; // px: the smallest panel drawn with tick labels before the grid wraps
const TEXT = "#31333f";
const BAR_TICKS = [0, 0.25, 0.5, 0.75, 1]; // colour-bar ticks, as fractions of zmax

function bytesOf(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function make(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
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

// The panel's cells as an image one pixel a cell (hidden cells transparent).
function cellImage(d, levels, rgb) {
  const canvas = document.createElement("canvas");
  canvas.width = d.cols;
  canvas.height = d.rows;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(d.cols, d.rows);
  const top = rgb.length / 3 - 1;
  for (let i = 0; i < levels.length; i++) {
    const v = levels[i];
    if (v === d.hidden) continue;
    const k = 3 * Math.round((v / d.levels) * top);
    img.data[4 * i] = rgb[k];
    img.data[4 * i + 1] = rgb[k + 1];
    img.data[4 * i + 2] = rgb[k + 2];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

// The colour scale as a vertical image, high values at the top.
function barImage(rgb) {
  const count = rgb.length / 3;
  const canvas = document.createElement("canvas");
  canvas.width = 1;
  canvas.height = count;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(1, count);
  for (let i = 0; i < count; i++) {
    const k = 3 * (count - 1 - i);
    img.data.set([rgb[k], rgb[k + 1], rgb[k + 2], 255], 4 * i);
  }
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

function weightText(d, v) {
  if (v === d.hidden) return "not attended (a later token)";
  return (d.pooled ? "max " : "") + ((v / d.levels) * d.zmax).toFixed(3);
}

// Every k-th label, so that labels of `font` px do not overlap on cells of `cell` px.
function labelStep(cell, font) {
  return Math.max(1, Math.ceil((font + 1) / cell));
}

function longest(labels) {
  return labels.reduce((n, s) => Math.max(n, short(s).length), 0);
}

// Sizes shared by the page and the downloaded file.
function geometry(d, width) {
  const yLabels = d.ticks ? Math.min(110, Math.ceil(longest(d.rowLabels) * d.tickSize * 0.62) + 8) : 0;
  const yTitle = d.ticks ? 18 : 0;
  const xLabels = d.ticks ? Math.ceil(longest(d.colLabels) * d.tickSize * 0.62 * 0.87) + 14 : 0;
  const xTitle = d.ticks ? 18 : 0;
  const barSpace = BAR + 56;
  const fit = (n) => Math.floor((width - barSpace - yTitle - n * (yLabels + GAP)) / n);
  let cols = d.columns;
  let panel = d.panelPx;
  if (width) {
    // panels with tick labels wrap to fewer columns rather than shrink below MIN_LABELLED
    // (a phone); the all-heads grid keeps a row per layer
    while (d.ticks && cols > 1 && fit(cols) < MIN_LABELLED) cols -= 1;
    panel = Math.max(24, Math.min(d.panelPx, fit(cols)));
  }
  // a second line under the names for the badges, when any panel has one
  const title = Math.round(d.titleSize * 1.6) + (d.panels.some((p) => p.badge) ? Math.round(d.titleSize * 1.3) : 0);
  const cellW = yLabels + panel + GAP;
  const cellH = title + panel + xLabels + xTitle + GAP;
  const rows = Math.ceil(d.panels.length / cols);
  return { yLabels, yTitle, xLabels, xTitle, panel, title, cellW, cellH, rows, cols, barSpace,
           width: yTitle + cols * cellW + barSpace, height: rows * cellH,
           rowStep: labelStep(panel / d.rows, d.tickSize), colStep: labelStep(panel / d.cols, d.tickSize),
           // the panels with nothing below them carry the "attends to" title
           bottom: (k) => Math.floor(k / cols) === rows - 1 || k + cols >= d.panels.length };
}

function barTickText(d, t) {
  return String(+(t * d.zmax).toFixed(3));
}

function decode(d) {
  return d.panels.map((p) => {
    const raw = bytesOf(p.cells);
    return new Uint16Array(raw.buffer, 0, raw.length / 2);
  });
}

// ---- the grid on the page -------------------------------------------------------------

function draw(root, d, levels, rgb, images, onPick) {
  // a redraw (new data after a click, a new width) keeps the keyboard on the same head
  const had = root.contains(document.activeElement) ? document.activeElement.dataset : null;
  const refocus = had && had.layer !== undefined ? `canvas[data-layer="${had.layer}"][data-head="${had.head}"]` : null;
  root.replaceChildren();
  const g = geometry(d, root.clientWidth || 900);
  const tip = make("div", "hs-tip");
  tip.hidden = true;
  const body = make("div", "hs-body");
  const grid = make("div", "hs-panels");
  grid.style.gridTemplateColumns = `repeat(${g.cols}, ${g.cellW}px)`;
  grid.style.paddingLeft = `${g.yTitle}px`;
  const tick = `${d.tickSize}px`;

  d.panels.forEach((p, k) => {
    const c = k % g.cols;
    const box = make("div", "hs-panel");
    box.dataset.name = p.name;
    box.dataset.badge = p.badge || "";
    box.dataset.arcs = String((p.outlines || []).length);
    const title = make("div", "hs-title");
    title.appendChild(make("span", "hs-name", p.name));
    if (d.panels.some((q) => q.badge)) { // every panel keeps the badge line, so the names stay in a row
      const badge = make("span", "hs-badge", p.badge || "\u00a0");
      badge.title = p.badge || "";
      badge.style.fontSize = `${Math.max(9, Math.round(d.titleSize * 0.85))}px`;
      if ((p.badge || "").startsWith("follows")) badge.classList.add("hs-follows");
      title.appendChild(badge);
    }
    title.style.fontSize = `${d.titleSize}px`;
    title.style.height = `${g.title}px`;
    title.style.marginLeft = `${g.yLabels}px`;
    title.style.width = `${g.panel}px`;
    box.appendChild(title);

    const row = make("div", "hs-row");
    if (d.ticks) {
      const ys = make("div", "hs-ylabels");
      ys.style.width = `${g.yLabels}px`;
      ys.style.height = `${g.panel}px`;
      ys.style.fontSize = tick;
      for (let i = 0; i < d.rows; i += g.rowStep) {
        const t = make("span", "hs-ylabel", short(d.rowLabels[i]));
        t.style.top = `${((i + 0.5) * g.panel) / d.rows}px`;
        ys.appendChild(t);
      }
      if (c === 0) {
        const yt = make("div", "hs-ytitle", "attends from");
        yt.style.height = `${g.panel}px`;
        yt.style.left = `${-g.yTitle}px`;
        ys.appendChild(yt);
      }
      row.appendChild(ys);
    }
    const canvas = document.createElement("canvas");
    canvas.className = "hs-cells";
    canvas.width = images[k].width;
    canvas.height = images[k].height;
    canvas.getContext("2d").drawImage(images[k], 0, 0);
    canvas.style.width = canvas.style.height = `${g.panel}px`;
    canvas.setAttribute("role", d.clickable ? "button" : "img");
    const arcs = (p.outlines || []).length;
    canvas.setAttribute("aria-label", `${p.name}: layer ${p.layer}, head ${p.head}` + (p.badge ? ` (${p.badge})` : "") +
      (arcs ? `, ${arcs} arc${arcs > 1 ? "s" : ""} outlined` : "") + (d.clickable ? ". Click to open it large." : ""));
    canvas.dataset.layer = p.layer;
    canvas.dataset.head = p.head;
    if (d.selected && d.selected.layer === p.layer && d.selected.head === p.head) canvas.classList.add("hs-picked");
    const cellBox = make("div", "hs-cellbox");
    cellBox.style.width = cellBox.style.height = `${g.panel}px`;
    cellBox.appendChild(canvas);
    for (const [r0, c0, r1, c1] of p.outlines || []) {
      const arc = make("div", "hs-arc");
      arc.style.left = `${(100 * c0) / d.cols}%`;
      arc.style.top = `${(100 * r0) / d.rows}%`;
      arc.style.width = `${(100 * (c1 - c0 + 1)) / d.cols}%`;
      arc.style.height = `${(100 * (r1 - r0 + 1)) / d.rows}%`;
      cellBox.appendChild(arc);
    }
    row.appendChild(cellBox);
    box.appendChild(row);

    if (d.ticks) {
      const xs = make("div", "hs-xlabels");
      xs.style.marginLeft = `${g.yLabels}px`;
      xs.style.width = `${g.panel}px`;
      xs.style.height = `${g.xLabels}px`;
      xs.style.fontSize = tick;
      for (let j = 0; j < d.cols; j += g.colStep) {
        const t = make("span", "hs-xlabel", short(d.colLabels[j]));
        t.style.left = `${((j + 0.5) * g.panel) / d.cols}px`;
        xs.appendChild(t);
      }
      box.appendChild(xs);
      if (g.bottom(k)) {
        const xt = make("div", "hs-xtitle", "attends to");
        xt.style.marginLeft = `${g.yLabels}px`;
        xt.style.width = `${g.panel}px`;
        box.appendChild(xt);
      }
    }

    canvas.addEventListener("mousemove", (e) => {
      const rect = canvas.getBoundingClientRect();
      const j = Math.min(d.cols - 1, Math.floor(((e.clientX - rect.left) / rect.width) * d.cols));
      const i = Math.min(d.rows - 1, Math.floor(((e.clientY - rect.top) / rect.height) * d.rows));
      if (i < 0 || j < 0) return;
      tip.replaceChildren(
        make("b", "", p.name),
        make("span", "", ` ${d.rowLabels[i]} \u2192 ${d.colLabels[j]}: ${weightText(d, levels[k][i * d.cols + j])}`),
      );
      tip.hidden = false;
      const outer = root.getBoundingClientRect();
      let x = e.clientX - outer.left + 14;
      if (x + tip.offsetWidth > outer.width) x = Math.max(0, e.clientX - outer.left - tip.offsetWidth - 14);
      tip.style.left = `${x}px`;
      tip.style.top = `${e.clientY - outer.top + 16}px`;
    });
    canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
    if (d.clickable) {
      canvas.tabIndex = 0;
      const pick = () => {
        root.querySelectorAll(".hs-picked").forEach((x) => x.classList.remove("hs-picked"));
        canvas.classList.add("hs-picked");
        onPick({ layer: p.layer, head: p.head });
      };
      canvas.addEventListener("click", pick);
      canvas.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); }
      });
    }
    grid.appendChild(box);
  });
  body.appendChild(grid);
  body.appendChild(colourBar(d, rgb, barHeight(g)));
  const tools = make("div", "hs-tools");
  for (const kind of ["PNG", "SVG"]) {
    const b = make("button", "hs-download", `Download ${kind}`);
    b.type = "button";
    b.title = kind === "SVG" ? "Vector labels, for papers" : "An image at twice the SVG file's size";
    b.addEventListener("click", () => download(d, images, rgb, kind, status));
    tools.appendChild(b);
  }
  const status = make("span", "hs-status");
  status.setAttribute("role", "status");
  tools.prepend(status);
  root.append(tools, body, tip);
  root.dataset.drawn = String(d.panels.length);
  if (refocus) root.querySelector(refocus)?.focus();
}

// The colour bar's height, the same on the page and in a file: room for its five ticks.
function barHeight(g) {
  return Math.max(120, Math.min(240, g.height - GAP - g.title));
}

function colourBar(d, rgb, height) {
  const box = make("div", "hs-bar");
  box.appendChild(make("div", "hs-bar-title", "weight"));
  const inner = make("div", "hs-bar-inner");
  const bar = barImage(rgb);
  bar.style.width = `${BAR}px`;
  bar.style.height = `${height}px`;
  inner.appendChild(bar);
  const ticks = make("div", "hs-bar-ticks");
  ticks.style.height = `${height}px`;
  for (const t of BAR_TICKS) {
    const s = make("span", "", barTickText(d, t));
    s.style.top = `${(1 - t) * height}px`;
    ticks.appendChild(s);
  }
  inner.appendChild(ticks);
  box.appendChild(inner);
  return box;
}

// ---- the grid as a file ---------------------------------------------------------------

function toSvg(d, images, rgb) {
  const g = geometry(d, 0);
  const pad = 10;
  const width = g.width + 2 * pad;
  const height = Math.max(g.height, g.title + barHeight(g) + GAP) + 2 * pad;
  const root = svg("svg", { xmlns: SVG_NS, width, height, viewBox: `0 0 ${width} ${height}`,
                            "font-family": "Helvetica, Arial, sans-serif", fill: TEXT });
  root.appendChild(svg("rect", { x: 0, y: 0, width, height, fill: "white" }));
  d.panels.forEach((p, k) => {
    const r = Math.floor(k / g.cols);
    const c = k % g.cols;
    const x0 = pad + g.yTitle + c * g.cellW + g.yLabels;
    const y0 = pad + r * g.cellH + g.title;
    const badgeSize = Math.max(9, Math.round(d.titleSize * 0.85));
    const nameY = y0 - 6 - (d.panels.some((q) => q.badge) ? Math.round(d.titleSize * 1.3) : 0);
    root.appendChild(svg("text", { x: x0 + g.panel / 2, y: nameY, "text-anchor": "middle",
                                   "font-size": d.titleSize, "font-weight": "bold" }, p.name));
    if (p.badge) {
      root.appendChild(svg("text", { x: x0 + g.panel / 2, y: y0 - 6, "text-anchor": "middle",
                                     "font-size": badgeSize }, p.badge));
    }
    root.appendChild(svgImage({ x: x0, y: y0, width: g.panel, height: g.panel, preserveAspectRatio: "none",
                                "image-rendering": "pixelated" }, scaled(images[k], 2 * g.panel).toDataURL("image/png")));
    for (const [r0, c0, r1, c1] of p.outlines || []) {
      const cw = g.panel / d.cols;
      const ch = g.panel / d.rows;
      root.appendChild(svg("rect", { x: x0 + c0 * cw, y: y0 + r0 * ch, width: (c1 - c0 + 1) * cw,
                                     height: (r1 - r0 + 1) * ch, fill: "none", stroke: "#ffffff",
                                     "stroke-width": 2 }));
    }
    if (!d.ticks) return;
    for (let i = 0; i < d.rows; i += g.rowStep) {
      root.appendChild(svg("text", { x: x0 - 4, y: y0 + ((i + 0.5) * g.panel) / d.rows,
                                     "text-anchor": "end", "dominant-baseline": "central",
                                     "font-size": d.tickSize }, short(d.rowLabels[i])));
    }
    for (let j = 0; j < d.cols; j += g.colStep) {
      const x = x0 + ((j + 0.5) * g.panel) / d.cols;
      const y = y0 + g.panel + 4;
      root.appendChild(svg("text", { x, y, "text-anchor": "end", "dominant-baseline": "central",
                                     transform: `rotate(-60 ${x} ${y})`, "font-size": d.tickSize }, short(d.colLabels[j])));
    }
    if (c === 0) {
      const x = pad + 10;
      const y = y0 + g.panel / 2;
      root.appendChild(svg("text", { x, y, "text-anchor": "middle", transform: `rotate(-90 ${x} ${y})`,
                                     "font-size": 11 }, "attends from"));
    }
    if (g.bottom(k)) {
      root.appendChild(svg("text", { x: x0 + g.panel / 2, y: y0 + g.panel + g.xLabels + 12,
                                     "text-anchor": "middle", "font-size": 11 }, "attends to"));
    }
  });
  const bx = pad + g.yTitle + g.cols * g.cellW + 8;
  const by = pad + g.title;
  const bh = barHeight(g);
  root.appendChild(svg("text", { x: bx, y: by - 12, "font-size": 11 }, "weight"));
  root.appendChild(svgImage({ x: bx, y: by, width: BAR, height: bh, preserveAspectRatio: "none" },
                            scaled(barImage(rgb), bh).toDataURL("image/png")));
  for (const t of BAR_TICKS) {
    root.appendChild(svg("text", { x: bx + BAR + 4, y: by + (1 - t) * bh, "dominant-baseline": "central",
                                   "font-size": 10 }, barTickText(d, t)));
  }
  return { text: new XMLSerializer().serializeToString(root), width, height };
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function download(d, images, rgb, kind, status) {
  status.textContent = "";
  const picture = toSvg(d, images, rgb);
  const svgBlob = new Blob([picture.text], { type: "image/svg+xml" });
  if (kind === "SVG") {
    save(svgBlob, `${d.file}.svg`);
    return;
  }
  const img = new Image();
  const url = URL.createObjectURL(svgBlob);
  img.onerror = () => {
    URL.revokeObjectURL(url);
    status.textContent = "The PNG could not be made in this browser; try the SVG.";
  };
  img.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = picture.width * 2;
    canvas.height = picture.height * 2;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    URL.revokeObjectURL(url);
    canvas.toBlob((blob) => save(blob, `${d.file}.png`), "image/png");
  };
  img.src = url;
}

// ---- Streamlit's entry point ----------------------------------------------------------

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let root = parentElement.querySelector(":scope > .hs-grid");
  if (!root) {
    root = make("div", "hs-grid");
    parentElement.appendChild(root);
  }
  const levels = decode(data);
  const rgb = bytesOf(data.palette);
  const images = levels.map((l) => cellImage(data, l, rgb));
  const pick = (head) => setStateValue("head", head);
  draw(root, data, levels, rgb, images, pick);
  let width = root.clientWidth;
  if (root.hsWatcher) root.hsWatcher.disconnect(); // the last render's, if its clean-up did not run
  const watcher = new ResizeObserver(() => {
    if (Math.abs(root.clientWidth - width) > 24) { // a new page width (sidebar folded, window resized)
      width = root.clientWidth;
      draw(root, data, levels, rgb, images, pick);
    }
  });
  watcher.observe(root);
  root.hsWatcher = watcher;
  return () => watcher.disconnect();
}
