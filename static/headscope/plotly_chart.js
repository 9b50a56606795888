// Headscope's plotly charts (components/plotly_chart.py): a figure built by Python's plotly, drawn by
// plotly.js basic (static/vendor/plotly-basic.min.js, which the loader runs first: window.Plotly) in the
// page's light or dark theme. hs_shared.js comes before this file.

const CLEAR = "rgba(0, 0, 0, 0)";
const FILE_GRID = "#e6e9ef"; // grid lines in a downloaded file (white background, FILE_TEXT)
const FILE_FONT = "Arial, Helvetica, sans-serif"; // a downloaded file's text

// `over` laid on `under`, plain objects merged key by key (arrays and values: `over` wins).
function merged(under, over) {
  const out = { ...under };
  for (const [k, v] of Object.entries(over || {})) {
    const both = v && typeof v === "object" && !Array.isArray(v) && under[k] && typeof under[k] === "object";
    out[k] = both ? merged(under[k], v) : v;
  }
  return out;
}

// The page's theme under `el`: Streamlit's theme variables (a components-v2 element gets them), else the
// page's own colours (hs_shared.js).
function pageTheme(el) {
  const style = getComputedStyle(el);
  const read = (name) => style.getPropertyValue(name).trim();
  const page = pageColours(el);
  return {
    text: read("--st-text-color") || page.text,
    background: read("--st-background-color") || page.background,
    grid: read("--st-border-color-light") || read("--st-border-color") || "rgba(128, 128, 128, 0.3)",
    primary: read("--st-primary-color") || page.text,
    font: read("--st-font") || style.fontFamily,
    colours: read("--st-chart-categorical-colors").split(",").map((c) => c.trim()).filter(Boolean),
  };
}

// The figure's layout in a theme: the theme's fonts and lines under what the figure sets, a see-through
// background, the theme's colour cycle, the width of the element.
function themed(layout, t) {
  const axis = { gridcolor: t.grid, zerolinecolor: t.grid, linecolor: t.grid, tickcolor: t.grid, automargin: true };
  const theme = {
    font: { family: t.font, color: t.text },
    title: { font: { color: t.text }, x: 0, xanchor: "left" },
    legend: { font: { color: t.text }, bgcolor: CLEAR },
    xaxis: { ...axis, showgrid: false },
    yaxis: axis,
    hoverlabel: { bgcolor: t.background, bordercolor: t.grid, font: { family: t.font, color: t.text } },
    modebar: { bgcolor: CLEAR, color: t.text, activecolor: t.primary },
  };
  const out = merged(theme, layout);
  out.paper_bgcolor = out.plot_bgcolor = t.paper || CLEAR;
  if (t.colours.length) out.colorway = t.colours;
  out.autosize = true;
  delete out.width;
  return out;
}

// plotly's toolbar as Python set it (charts.config), with its camera button drawing the file for a white
// page whatever the theme (as the grids' downloads are), and nothing that reaches the network.
function toolbar(config, layout, t) {
  const options = config.toImageButtonOptions || {};
  // the file's text in a font of the system: the page's web font is not there when plotly draws the file
  // as an image, and a fallback wider than the font plotly measured ran the legend off the edge
  const file = { ...t, text: FILE_TEXT, grid: FILE_GRID, background: "#ffffff", paper: "#ffffff", font: FILE_FONT };
  const forFile = () => {
    const out = themed(layout, file); // the title off the file's edge: the page puts it flush with the column
    out.title = { ...out.title, pad: { ...(out.title && out.title.pad), l: 12 } };
    return out;
  };
  const camera = {
    name: "hsDownload",
    title: (options.format || "png") === "png" ? "Download plot as a PNG" : "Download plot",
    icon: window.Plotly.Icons.camera,
    click: (gd) =>
      window.Plotly.downloadImage(
        { data: gd.data, layout: forFile() },
        { ...options, width: gd._fullLayout.width, height: gd._fullLayout.height },
      ),
  };
  return {
    ...config,
    modeBarButtonsToRemove: [...(config.modeBarButtonsToRemove || []), "toImage"],
    modeBarButtonsToAdd: [camera],
    responsive: false, // the ResizeObserver below follows the column, not only the window
    typesetMath: false,
    showTips: false,
    showLink: false,
    showSendToCloud: false,
    showEditInChartStudio: false,
  };
}

// Draw `data` ({figure: the figure's JSON, config}) into `parent`; returns a clean-up.
function render(parent, data) {
  const Plotly = window.Plotly;
  let root = parent.querySelector(":scope > .hs-plot");
  if (!root) {
    root = make("div", "hs-plot");
    parent.appendChild(root);
  }
  clearTimeout(root.hsPurge); // drawn again: not gone
  const figure = JSON.parse(data.figure);
  const t = pageTheme(parent);
  const layout = themed(figure.layout || {}, t);
  root.style.minHeight = `${layout.height || 450}px`; // the space it takes, before plotly has drawn
  Plotly.react(root, figure.data || [], layout, toolbar(data.config || {}, figure.layout || {}, t)).then(() => {
    root.dataset.drawn = String((figure.data || []).length);
  });
  let width = root.clientWidth;
  if (root.hsWatcher) root.hsWatcher.disconnect();
  const watcher = new ResizeObserver(() => {
    if (root._fullLayout && root.offsetParent && Math.abs(root.clientWidth - width) > 2) {
      width = root.clientWidth;
      Plotly.Plots.resize(root).catch(() => {}); // hidden meanwhile: its next size change draws it
    }
  });
  watcher.observe(root);
  root.hsWatcher = watcher;
  return () => {
    watcher.disconnect();
    // a rerun draws again into the same element at once; an element taken off the page frees plotly's state
    root.hsPurge = setTimeout(() => {
      if (!root.isConnected) Plotly.purge(root);
    }, 0);
  };
}

export default function (component) {
  const { data, parentElement } = component;
  return render(parentElement, data);
}
