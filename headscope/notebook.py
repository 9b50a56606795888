"""Headscope in a notebook: `headscope.show(text)` draws a view of the app, as Jupyter shows it.

The figure is the app's own: the same payload (headscope/canvas.py) drawn by the same renderer
(static/headscope/heatmap_grid.js, embedded as the HTML report embeds it), with the same badges and
outlines from the corpus verdict. It is one piece of HTML with everything in it: it needs no server
and no network, in Jupyter, in a saved notebook or in a file (`Figure.html()`).
"""

from __future__ import annotations

import html
import itertools
import os
from dataclasses import dataclass

from headscope import answer, arcs, canvas, corpus, language, models, norms, panels, roles, syntax
from headscope.attention import Attention, InputError
from headscope.panels import head_name
from headscope.report import Grids

VIEWS = ("heads", "layers", "head", "syntax")
"""What `show` draws: one layer's heads (the Heads page), every head of the model (its *All layers at once*), one
head large, or the heads that follow a relation at word level, under the sentence's arcs (Syntax heads)."""

_models: dict[str | None, models.LoadedModel] = {}
_ids = itertools.count()


@dataclass(frozen=True)
class Figure:
    """A view of one text, as Jupyter displays it (`_repr_html_`); `html()` is a whole page, for a file."""

    title: str
    note: str  # the answer, or what the view shows, as plain text
    body: str  # the grids' places and the renderer's script (report.Grids)
    grids: tuple[dict, ...] = ()  # what the renderer draws: each grid's payload, as the app sends it

    def _repr_html_(self) -> str:
        return (
            "<div class='hs-notebook' style='font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif'>"
            f"<div style='font-weight:600;margin:.3em 0'>{html.escape(self.title)}</div>"
            + (f"<div style='margin:.2em 0 .6em'>{html.escape(self.note)}</div>" if self.note else "")
            + self.body
            + "</div>"
        )

    def html(self) -> str:
        """The figure as a whole HTML document, which opens offline."""
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title></head><body>{self._repr_html_()}</body></html>"
        )

    def save(self, path: str | os.PathLike) -> None:
        """Write `html()` to a file."""
        with open(path, "w", encoding="utf-8") as out:
            out.write(self.html())


def _loaded(model: str | None) -> models.LoadedModel:
    """The model, loaded once per process (the bundled one for None)."""
    if model not in _models:
        _models[model] = models.load(model)
    return _models[model]


def show(
    text: str,
    model: str | None = None,
    view: str = "heads",
    layer: int | None = None,
    head: int | None = None,
    relation: str = answer.DEFAULT_LINKS,
    weighting: str = "weights",
) -> Figure:
    """Draw `text`'s attention as the app does, for a notebook.

    `view`: "heads" (one layer's heads; `layer` None: the layer of the head that answers `relation`, as the
    Heads page opens), "layers" (every head), "head" (one head, `layer` and `head`; default: the answer's head)
    or "syntax" (the heads that follow `relation` over the corpus, then this sentence's best, at word level).
    `model`: a hub id or a folder (default: the bundled model). `weighting`: "weights" or "norms".
    Outlines and badges come from the verdict over the gold corpus, for an encoder whose text the parser reads.
    """
    if view not in VIEWS:
        raise InputError(f"unknown view {view!r}; pick one of {', '.join(VIEWS)}")
    loaded = _loaded(model)
    raw = norms.attend(loaded, text, weighting=weighting)
    grids = Grids(prefix=f"hs-nb{next(_ids)}")
    name = loaded.name.rstrip("/").split("/")[-1]
    if view == "syntax":
        return _syntax(loaded, raw, relation, grids, name)
    verdicts = _verdicts(loaded, raw, relation, weighting)
    badges, outlines, found = verdicts if verdicts is not None else ({}, {}, None)
    focus = found.focus if found is not None else None
    layer = _in_range("layer", layer if layer is not None else (focus[0] if focus else 0), raw.num_layers)
    zmax = norms.scale_max(raw)
    if view == "layers":
        data, title = canvas.model_data(raw, zmax), f"Every head of {name}"
    elif view == "head":
        head = _in_range("head", head if head is not None else (focus[1] if focus else 0), raw.num_heads)
        data, title = canvas.head_data(raw, layer, head, zmax), f"{head_name(layer, head)} of {name}"
    else:
        data, title = canvas.layer_data(raw, layer, zmax), f"Layer {layer} of {name}"
    if view != "head":
        data = canvas.marked(data, badges, outlines)
    place = grids.add(data, f"{name}_{view}_L{layer}")
    note = found.text() if found is not None else ""
    return _figure(title, note, place, grids)


def _figure(title: str, note: str, places: str, grids: Grids) -> Figure:
    """The figure: its title and note, the grids' places, then the renderers with their data."""
    return Figure(title, note, places + grids.script(), tuple(data for _, data in grids.data))


def _in_range(what: str, value: int, count: int) -> int:
    """`value` if it is a layer (or head) of the model, else a clear error."""
    if not 0 <= value < count:
        raise InputError(f"{what} {value} does not exist in this model ({what}s 0 to {count - 1})")
    return value


def _english(text: str) -> bool:
    """Whether the parser can read the text (the app's check: other languages get no syntax)."""
    return language.identify(text).english


def _verdicts(loaded: models.LoadedModel, raw: Attention, relation: str, weighting: str):
    """(badges, outlines, answer) for the Heads views, as the app draws them; None where there is no verdict
    (a decoder's or cross attention, text the parser does not read, a model the atlas cannot score)."""
    if raw.kind not in ("self", "encoder") or not _english(raw.text):
        return None
    from headscope import atlas  # the corpus verdict: shipped for the bundled model, else computed once

    a = atlas.shipped(loaded, corpus.DEFAULT, weighting)
    parse = syntax.parse(raw.text)
    scores = syntax.score_sentence(raw, parse)
    return answer.marks(a, raw, raw, parse, relation, scores)


def _syntax(loaded: models.LoadedModel, raw: Attention, relation: str, grids: Grids, name: str) -> Figure:
    """The Syntax heads view: the sentence's arcs of `relation`, and the heads that follow it, word level."""
    title = f"{relation}: {syntax.RELATION_NAMES.get(relation, relation)}, in {name}"
    if not _english(raw.text):
        return Figure(title, "No syntax: the parser reads English only.", "")
    from headscope import atlas

    parse = syntax.parse(raw.text)
    scores = syntax.score_sentence(raw, parse)
    rs = scores.relations.get(relation)
    diagram = grids.add_arcs(arcs.diagram(parse.words, parse.arcs(), relation), f"{name}_{relation}_arcs")
    if rs is None or not rs.arcs:
        return _figure(title, f"This sentence has no {relation} arc.", diagram, grids)
    a = atlas.shipped(loaded, corpus.DEFAULT, raw.weighting)
    ra = a.relations.get(relation)
    following = dict.fromkeys((h.layer, h.head, h.direction) for h in ra.verdict.follows) if ra else {}
    weights = raw if raw.weighting == "weights" else norms.attend(loaded, raw.text)  # positional: by its weights
    top, (badges, outlines) = answer.top_heads(scores, relation, roles.positional_heads(weights), following)
    words = scores.words.as_attention(loaded.name)
    data = canvas.marked(
        canvas.attention_grid(words, [(h.layer, h.head) for h in top], panels.LAYER_STYLE), badges, outlines
    )
    place = grids.add(data, f"{name}_{relation}_best-heads")
    return _figure(title, answer.answer(a, relation, scores).text(), diagram + place, grids)
