"""Every figure goes through here: one toolbar set-up, with downloads as PNG or SVG, and the
components of our own (the heatmap grid, the arc diagram, plotly charts) loaded from the files the app serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import streamlit as st

from headscope.canvas import ASSETS, SHARED_SCRIPT
from headscope.models import BUNDLED_ID

FORMATS = {"PNG": "png", "SVG (vector, for papers)": "svg"}
VENDOR = ASSETS.parent / "vendor"
"""The libraries of others the app serves (app/static/vendor/), listed with their versions in MANIFEST.json."""


def file_name(*parts: object) -> str:
    """A safe download name: headscope_<model>_<what>."""
    model = str(st.session_state.get("model", BUNDLED_ID)).rstrip("/").split("/")[-1]
    raw = "_".join(["headscope", model, *(str(p) for p in parts if p != "")])
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw)[:120]


def config(name: str) -> dict:
    """Plotly's toolbar for one figure: its camera button downloads it under a sensible name."""
    fmt = FORMATS.get(st.session_state.get("figure_format", "PNG"), "png")
    return {
        "displaylogo": False,
        "scrollZoom": False,
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        "toImageButtonOptions": {"format": fmt, "filename": file_name(name), "scale": 2 if fmt == "png" else 1},
    }


def format_picker() -> None:
    """The sidebar choice of what the figures' camera button downloads."""
    st.radio(
        "Figure downloads",
        list(FORMATS),
        key="figure_format",
        horizontal=True,
        help="The camera button of the bar charts saves them in this format. "
        "Every heatmap grid, and the arc diagram, has a PNG and an SVG button of its own.",
    )


_LOADER = """
const FILES = %s;
export default function (component) {
  // One fetch and one compile of the component's script per page, however many figures it has:
  // Streamlit sends a component's inline script with every one of its elements.
  const loaded = (window.headscopeScripts ??= {});
  const key = FILES.join(" ");
  loaded[key] ??= Promise.all([
    ...FILES.map((file) =>
      fetch(new URL("app/static/headscope/" + file, document.baseURI), { cache: "no-cache" }).then((r) => {
        if (!r.ok) throw new Error(file + ": HTTP " + r.status);
        return r.text();
      }),
    ),%s
  ]).then((parts) => {
    // the style sheets: one <style> a page (a sheet sent with each element is parsed and applied each time)
    const css = (i) => (FILES[i] || "").endsWith(".css");
    const sheet = parts.filter((_, i) => css(i)).join("\\n");
    if (sheet) document.head.appendChild(Object.assign(document.createElement("style"), { textContent: sheet }));
    const code = parts.filter((_, i) => !css(i)).join("\\n");
    return import(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
  });
  let cleanup = null;
  let gone = false;
  // the data travels as JSON bytes (components/charts.py, `encoded`): parsed here for every component
  const data = component.data instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(component.data)) : component.data;
  loaded[key].then(
    (module) => { if (!gone) cleanup = module.default({ ...component, data }); },
    (error) => {
      delete loaded[key];
      component.parentElement.textContent =
        "This figure could not be drawn: its script did not load (" + error.message + "). Reload the page.";
    },
  );
  return () => {
    gone = true;
    if (typeof cleanup === "function") cleanup();
  };
}
"""

_LIBRARIES = """
    // libraries of static/vendor/ (plotly.js): classic scripts, each run once per page, before the module
    ...%s.map((file) => (loaded[file] ??= new Promise((resolve, reject) => {
      const tag = Object.assign(document.createElement("script"), { onload: () => resolve("") });
      tag.onerror = () => { delete loaded[file]; tag.remove(); reject(new Error(file + " did not load")); };
      tag.src = new URL("app/static/vendor/" + file, document.baseURI).href;
      document.head.appendChild(tag);
    }))),"""
"""The loader's part for a component that needs libraries (left out of the others: a loader travels with every mount)."""


def served_component(name: str, script: Path, libraries: tuple[str, ...] = ()):
    """A components-v2 component drawn by `script` (in static/headscope/, after hs_shared.js), with its style sheet
    (the file of the same name, .css, after hs_shared.css).

    Its inline script is a loader of a few hundred bytes: the app serves the files
    (server.enableStaticServing), so a view no longer carries the 30 KB script once per figure (Compare
    drew five grids: 155 of its 228 KB a view), nor its 2.4 KB of style, and the browser compiles the
    script and applies the style once per page.
    `libraries`: files of static/vendor/ the script needs (plotly.js), each loaded once per page first.
    """
    if script.parent != ASSETS:
        raise ValueError(f"{script} is not in {ASSETS}, which the app serves")
    for library in libraries:
        if not (VENDOR / library).is_file():
            raise ValueError(f"{library} is not in {VENDOR}, which the app serves")
    needs = _LIBRARIES % json.dumps(libraries) if libraries else ""
    files = [SHARED_SCRIPT.name, script.name, SHARED_SCRIPT.with_suffix(".css").name, script.with_suffix(".css").name]
    component = st.components.v2.component(
        name,
        js=_LOADER % (json.dumps(files), needs),  # the style sheets too: none travels with each element
        isolate_styles=False,  # the page's fonts and colours (light or dark); its classes all start with hs-
    )

    def mount(*, data: dict | None = None, **kwargs):
        return component(data=encoded(data), **kwargs)

    return mount


def encoded(data: dict | None) -> bytes | None:
    """A component's data as the bytes of its JSON, which the loader parses back.

    Given a dict, Streamlit asks pandas whether each of its values is a dataframe: for a nested dict
    (a grid's colour scale) that took 1.2 ms, 13 ms a view of Inside a head (11 grids). It also
    writes a dict out twice (for the page, and sorted, for the element's identity). Bytes it
    sends as they are, and hashes for the identity.
    """
    return None if data is None else json.dumps(data, separators=(",", ":")).encode()
