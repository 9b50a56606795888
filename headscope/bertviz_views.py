"""bertviz's head view and model view, as HTML that draws with no network.

bertviz loads require.js, d3 and jQuery from a CDN, so offline it draws nothing. Here the
same views load them from the app itself (static/vendor, pinned npm packages with their
licences), and the attention goes into the page once.

The page's one inline script is the same for every text: the data sits in a JSON block the
script reads (never executed), so a Content-Security-Policy can allow the script by its hash
(`script_hash`) instead of allowing inline scripts (deploy/nginx.conf.template).

One layer control: the head view draws the one layer the app's slider picks (it is in the
link), so bertviz's own layer menu is left out; the model view draws every layer, or the
slider's one when all would be too many (`one_layer`).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

import numpy as np

from headscope.attention import Attention
from headscope.canvas import script_json

VENDOR = "/app/static/vendor"
"""Where Streamlit serves static/vendor (server.enableStaticServing)."""

MAX_CELLS = 400_000
"""Most weights put into one view: bertviz's HTML grows as layers x heads x tokens^2."""

_CDN = {
    "https://cdnjs.cloudflare.com/ajax/libs/d3/5.7.0/d3.min": f"{VENDOR}/d3.min",
    "https://cdnjs.cloudflare.com/ajax/libs/jquery/2.0.0/jquery.min": f"{VENDOR}/jquery.min",
}


class TooLarge(ValueError):
    """The view would be too large to draw; the message says what to do."""


_PARAMS_ID = "bertviz-params"
_READ_PARAMS = f"JSON.parse(document.getElementById({_PARAMS_ID!r}).textContent)"


@cache
def _script(view: str) -> str:
    """bertviz's own JavaScript for a view, with its CDN paths pointed at the app, reading its
    parameters from the page's JSON block: the same text for every attention."""
    import bertviz

    js = (Path(bertviz.__file__).parent / f"{view}_view.js").read_text(encoding="utf-8")
    for cdn, local in _CDN.items():
        js = js.replace(cdn, local)
    if js.count("PYTHON_PARAMS;") != 1:
        raise RuntimeError(f"bertviz's {view}_view.js no longer has one PYTHON_PARAMS marker")
    return "\n" + js.replace("PYTHON_PARAMS;", f"{_READ_PARAMS};", 1) + "\n"


def script_hash(view: str) -> str:
    """The CSP source that allows the inline script of a view: 'sha256-...'."""
    digest = hashlib.sha256(_script(view).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def _json_for_script(value) -> str:
    """JSON that cannot end the <script> element it sits in (canvas.script_json)."""
    return script_json(value)


THEMES = {
    False: {"scheme": "light", "text": "#222", "hover": "#d3d3d3"},
    True: {"scheme": "dark", "text": "#e8e8e8", "hover": "#4a4a4a"},
}
"""The frame's colours in the app's light and dark themes: words, and the band behind a hovered token."""


def _style(dark: bool) -> str:
    """CSS that draws bertviz's words in the app's theme, over the app's own background.

    bertviz paints its words black (no fill, or fill="black") and a hovered token's band light
    grey: on a dark page they vanish. A style rule outranks those SVG attributes. The frame's
    colour scheme matches the page's, so the browser keeps the frame transparent (a frame whose
    scheme differs from its page's gets an opaque background: white in the dark theme).
    """
    theme = THEMES[dark]
    return (
        f":root{{color-scheme:{theme['scheme']}}}"
        "html,body{background:transparent}"
        f"body{{margin:0;color:{theme['text']};font-family:'Helvetica Neue',Helvetica,Arial,sans-serif}}"
        f"svg text{{fill:{theme['text']}}}"
        f"svg rect.background{{fill:{theme['hover']}}}"
    )


def one_layer(att: Attention, view: str) -> bool:
    """Whether the view draws one layer (the app picks which): the head view always, the model
    view when all layers would exceed MAX_CELLS."""
    per_layer = att.num_heads * att.num_tokens * att.num_keys
    return view == "head" or per_layer * att.num_layers > MAX_CELLS


def check_size(att: Attention) -> None:
    """Raise TooLarge when even one layer of this attention would exceed MAX_CELLS."""
    if att.num_heads * att.num_tokens * att.num_keys > MAX_CELLS:
        raise TooLarge(
            f"{att.num_tokens} tokens are too many for bertviz's views (its page grows with the "
            "square of the length); use the Heads page, which handles any length"
        )


def plan(att: Attention, layer: int | None, view: str = "model") -> list[int]:
    """The layers to include: all, or only `layer` (see one_layer); TooLarge when one layer is too many."""
    check_size(att)
    return [layer or 0] if one_layer(att, view) else list(range(att.num_layers))


def build(att: Attention, view: str = "head", layer: int | None = None, dark: bool = False) -> str:
    """A complete HTML page with bertviz's `head` or `model` view of this attention."""
    if view not in ("head", "model"):
        raise ValueError(f"unknown bertviz view {view!r}")
    layers = plan(att, layer, view)
    weights = np.round(att.weights[layers].astype(np.float64), 4)
    left = [t.replace("\u0120", " ").replace("\u2581", " ") for t in att.tokens]
    right = [t.replace("\u0120", " ").replace("\u2581", " ") for t in att.columns.tokens]
    vis_id = "bertviz-root"  # the same page for the same view: a rerun does not reload the frame
    data = [{"name": None, "attn": weights.tolist(), "left_text": left, "right_text": right}]
    if view == "head":
        params = {
            "attention": data,
            "default_filter": "0",
            "root_div_id": vis_id,
            "layer": layers[0],
            "heads": None,
            "include_layers": layers,
        }
    else:
        heads = list(range(att.num_heads))
        params = {
            "attention": data,
            "default_filter": "0",
            "display_mode": "dark" if dark else "light",
            "root_div_id": vis_id,
            "include_layers": layers,
            "include_heads": heads,
            "total_heads": att.num_heads,
        }
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<style>{_style(dark)}</style>"
        f"</head><body><script src='{VENDOR}/require.js'></script>"
        f"<div id='{vis_id}'><div id='vis'></div></div>"
        f"<script type='application/json' id='{_PARAMS_ID}'>{_json_for_script(params)}</script>"
        f"<script>{_script(view)}</script></body></html>"
    )
