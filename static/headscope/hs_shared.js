// What Headscope's own components share (heatmap_grid.js, arc_diagram.js): elements, the
// download buttons and how a picture becomes an SVG or a PNG file. Python puts this file in
// front of each component's script (components/heatmaps.py, components/arc_diagram.py, the
// report): a component's inline script is loaded from a blob: address, where a module cannot
// import another file by a relative path.

const SVG_NS = "http://www.w3.org/2000/svg";
const FILE_TEXT = "#31333f"; // text colour in a downloaded file (white background)

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

// Save a picture ({text: SVG markup, width, height}) as `file`.svg, or as a PNG at twice its size.
function savePicture(picture, file, kind, status) {
  status.textContent = "";
  const svgBlob = new Blob([picture.text], { type: "image/svg+xml" });
  if (kind === "SVG") {
    save(svgBlob, `${file}.svg`);
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
    canvas.toBlob((blob) => save(blob, `${file}.png`), "image/png");
  };
  img.src = url;
}

// The "Download PNG" and "Download SVG" buttons, added to `tools`; picture() draws the file.
function downloadButtons(tools, status, file, picture, svgTitle) {
  for (const kind of ["PNG", "SVG"]) {
    const b = make("button", "hs-download", `Download ${kind}`);
    b.type = "button";
    b.title = kind === "SVG" ? svgTitle : "An image at twice the SVG file's size";
    b.addEventListener("click", () => savePicture(picture(), file, kind, status));
    tools.appendChild(b);
  }
}

// The page's own text colour and background under `el` (light or dark theme), for what is not
// drawn with currentColor (a label's backdrop).
function pageColours(el) {
  const text = getComputedStyle(el).color;
  let node = el;
  while (node && node.nodeType === 1) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && bg !== "transparent" && !/rgba\(.*,\s*0\)$/.test(bg)) return { text, background: bg };
    node = node.parentElement;
  }
  return { text, background: "#ffffff" };
}
