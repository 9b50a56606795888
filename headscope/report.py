"""A self-contained HTML report of one sentence: the Heads and Syntax heads views, offline."""

from __future__ import annotations

import html

from headscope import answer, arcs, canvas, norms, verdict
from headscope.atlas import Atlas
from headscope.attention import Attention
from headscope.knockout import ABLATION_WORDS, Importance
from headscope.panels import head_name
from headscope.syntax import ALL, RELATION_CHOICES, RELATION_NAMES, SyntaxScores, relation_label
from headscope.wording import baseline_sentence, ranking_row

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1200px;margin:2em auto;
color:#222;padding:0 1em}h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:.25em .6em;
text-align:left}th{background:#f4f4f4}.quote{font-size:1.2em;background:#f7f7f7;padding:.6em 1em}
.muted{color:#666}
"""


class Grids:
    """Matrices and the arc diagram drawn by the app's own renderers (static/headscope/heatmap_grid.js, arc_diagram.js),
    embedded whole: the file works offline. The report and the notebook's figures (headscope/notebook.py) use it.

    `prefix` names the elements (`{prefix}-grid-0`, `{prefix}-arcs`): a notebook shows many figures in one page.
    Each renderer and its calls are one module script, so they run in order also where scripts are added to a
    page after it loaded (Jupyter).
    """

    def __init__(self, prefix: str = "hs") -> None:
        self.prefix = prefix
        self.data: list[tuple[str, dict]] = []
        self.parse: dict | None = None  # the arc diagram (static/headscope/arc_diagram.js), if any

    def add_arcs(self, data: dict, name: str) -> str:
        """A place for the arc diagram; its data and renderer go into the script at the end."""
        self.parse = dict(data, file=f"headscope_{name}", clickable=False)
        return f"<div id='{self.prefix}-arcs' class='hs-arcs-host'></div>"

    def add(self, data: dict, name: str) -> str:
        """A place for one grid; its data goes into the script at the end."""
        key = f"{self.prefix}-grid-{len(self.data)}"
        self.data.append((key, dict(data, file=f"headscope_{name}", selected=None)))
        return f"<div id='{key}' class='hs-host'></div>"

    def script(self) -> str:
        """The renderer and every grid's data; `<`, `>` and `&` are escaped so no value can end the script."""
        out = []
        if self.data:
            out += [
                f"<style>{canvas.component_style()}</style>",
                f"<script type='module'>{canvas.component_script()}\nfor (const [key, data] of "
                + _json(self.data)
                + ") window.headscopeGrid(document.getElementById(key), data, () => {});</script>",
            ]
        if self.parse is not None:
            out += [
                f"<style>{arcs.style()}</style>",
                f"<script type='module'>{arcs.script()}\n"
                f"window.headscopeArcs(document.getElementById('{self.prefix}-arcs'), "
                + _json(self.parse)
                + ", () => {});</script>",
            ]
        return "".join(out)


def _json(data) -> str:
    """Data for a <script> block, safe for any text (canvas.script_json)."""
    return canvas.script_json(data)


def _table(headers: list[str], rows: list[list[object]]) -> str:
    """An HTML table with every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def build(
    att: Attention,
    scores: SyntaxScores | None,
    positional: dict | None = None,
    corpus_atlas: Atlas | None = None,
    importance: Importance | None = None,
    no_syntax: str = "",
) -> str:
    """The report: every layer's heads, then the parse, the corpus verdict and the best heads per relation.

    `no_syntax`: why there are no scores (a text that is not English), said where the syntax part would be.
    """
    grids = Grids()
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>Headscope report: {html.escape(att.model)}</title><style>{_STYLE}</style></head><body>",
        "<h1>Headscope report</h1>",
        f"<p class='muted'>Model <b>{html.escape(att.model)}</b>, {att.num_layers} layers x {att.num_heads} heads; "
        f"{'words' if att.level == 'words' else 'word pieces'}. Layers and heads are numbered from 0 "
        "(L2H3 is layer 2, head 3). Rows attend from, columns attend to.</p>",
        f"<p class='quote'>{html.escape(att.text)}</p>",
        "<h2>Heads</h2>",
    ]
    for layer in range(att.num_layers):
        parts.append(f"<h3>Layer {layer}</h3>")
        parts.append(grids.add(canvas.layer_data(att, layer, norms.scale_max(att)), f"layer{layer}"))
    if scores is None and no_syntax:
        parts.append(f"<h2>Syntax heads</h2><p class='muted'>{html.escape(no_syntax[:1].upper() + no_syntax[1:])}.</p>")
    if scores is not None:
        p = scores.words.parse
        parts.append("<h2>Syntax heads</h2>")
        parts.append(
            "<p>The dependency parse (spaCy), and for each relation the answer over the corpus (which "
            "heads follow it), then this sentence's evidence: the heads that put the most attention "
            "on its arcs, next to the best fixed-offset baseline.</p>"
        )
        if corpus_atlas is not None:
            parts.append(f"<p class='muted'>{html.escape(verdict.RULE)}</p>")
        parts.append(grids.add_arcs(arcs.diagram(p.words, p.arcs(), ALL), "parse"))
        positional = positional or {}
        for relation in RELATION_CHOICES:
            rs = scores.relations.get(relation)
            if rs is None or not rs.arcs:
                continue
            parts.append(f"<h3>{html.escape(relation_label(relation))}: {html.escape(RELATION_NAMES[relation])}</h3>")
            if corpus_atlas is not None and relation != ALL:
                found = answer.answer(corpus_atlas, relation, scores)
                parts.append(f"<p><b>Answer</b>: {html.escape(found.text())}</p>")
                if found.split:
                    parts.append(f"<p class='muted'>{html.escape(answer.SPLIT_NOTE)}</p>")
                    parts.append(_table(list(found.split[0]), [list(row.values()) for row in found.split]))
            parts.append("<h4>In this sentence</h4>")
            parts.append(f"<p>{baseline_sentence(rs, strong=lambda words: f'<b>{html.escape(words)}</b>')}</p>")
            following = (
                None
                if corpus_atlas is None
                else {
                    (h.layer, h.head, h.direction)
                    for h in rs.heads
                    if corpus_atlas.follows(relation, h.layer, h.head, h.direction)
                }
            )
            rows = [ranking_row(h, rs, following, positional) for h in rs.heads[:8]]  # the Syntax heads page's columns
            parts.append(_table(list(rows[0]), [list(row.values()) for row in rows]))
    if importance is not None:
        parts.append("<h2>Which heads matter</h2>")
        parts.append(
            f"<p>Every head switched off on its own ({html.escape(ABLATION_WORDS[importance.ablation])}), the model "
            f"run again: the effect is {html.escape(importance.measure)}. Other heads can take over the work of a "
            "head switched off, so a small effect does not prove a head useless.</p>"
        )
        effect = importance.effect
        hover = [
            [f"{head_name(layer, h)}: effect {effect[layer, h]:.4g}" for h in range(effect.shape[1])]
            for layer in range(effect.shape[0])
        ]
        top = float(effect.max()) or 1.0
        data = canvas.heads_grid(
            effect, "this sentence", canvas.Scale("effect", 0.0, top), hover=hover, clickable=False
        )
        parts.append(grids.add(data, "importance"))
    parts.append("<p class='muted'>Made with Headscope. This file needs no network.</p>")
    parts.append(grids.script())
    parts.append("</body></html>")
    return "\n".join(parts)
