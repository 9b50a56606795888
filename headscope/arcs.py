"""The dependency parse as an arc diagram, as data for its renderer (static/headscope/arc_diagram.js).

Words in a row and an arc from each word's head to it, labelled with the relation. Here: which
arcs there are, how high each one is drawn (its level), which are highlighted and what their
hover and ARIA texts say. The renderer places them for a width (the page and the SVG file from
one layout). The app mounts it (components/arc_diagram.py); the report embeds it whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from headscope.canvas import SCRIPT, component_script, component_style, shown_label
from headscope.syntax import ALL, RELATION_CHOICES, RELATION_NAMES

ARC_SCRIPT = SCRIPT.with_name("arc_diagram.js")
ARC_STYLE = ARC_SCRIPT.with_suffix(".css")


@dataclass(frozen=True)
class Arc:
    """One arc of the diagram: from the head to the dependent, drawn at a level (1: lowest)."""

    dependent: int
    head: int
    relation: str
    level: int

    @property
    def span(self) -> tuple[int, int]:
        """The leftmost and rightmost word the arc joins."""
        return min(self.dependent, self.head), max(self.dependent, self.head)


def levels(arcs: list[tuple[int, int, str]]) -> list[Arc]:
    """The arcs with their levels, left to right: an arc is drawn one level above every shorter arc
    whose span overlaps the inside of its own, so no two arcs on a level share any stretch of the row
    (their labels cannot overlap) and an arc over others clears them."""
    order = sorted(range(len(arcs)), key=lambda i: (abs(arcs[i][0] - arcs[i][1]), min(arcs[i][:2])))
    placed: dict[int, Arc] = {}
    for i in order:
        d, h, r = arcs[i]
        lo, hi = min(d, h), max(d, h)
        below = [a.level for a in placed.values() if a.span[0] < hi and a.span[1] > lo]
        placed[i] = Arc(d, h, r, 1 + max(below, default=0))
    return sorted(placed.values(), key=lambda a: (a.span, a.level))


def hover(words: tuple[str, ...] | list[str], arc: Arc) -> str:
    """What the pointer over an arc says: the two words, the relation and what it means."""
    meaning = RELATION_NAMES.get(arc.relation)
    return f"{words[arc.dependent]} \u2190{arc.relation}\u2014 {words[arc.head]}" + (f" ({meaning})" if meaning else "")


def aria(words: tuple[str, ...] | list[str], arc: Arc, choices: tuple[str, ...]) -> str:
    """What a screen reader says for an arc's label, and what a click does."""
    meaning = RELATION_NAMES.get(arc.relation)
    said = f"{arc.relation} arc from {words[arc.head]} to {words[arc.dependent]}" + (f", {meaning}" if meaning else "")
    return said + (
        f". Press to pick {arc.relation}." if arc.relation in choices else ". Not one of the relations to pick."
    )


def diagram(
    words: tuple[str, ...] | list[str],
    arcs: list[tuple[int, int, str]],
    highlight: str | None,
    choices: tuple[str, ...] = RELATION_CHOICES,
) -> dict:
    """Everything the renderer draws: words, arcs (levels, highlight, hover and ARIA texts) and the first
    highlighted arc (the one a long text is scrolled to). `highlight` "all" marks every arc; None, none.

    Fields: words [str]; arcs [{dependent, head, relation, level, on, hover, label}] left to right;
    levels (the highest level); first (index into arcs, or None); highlight; choices.
    """
    shown = [shown_label(w) for w in words]
    placed = levels(arcs)
    out = [
        {
            "dependent": a.dependent,
            "head": a.head,
            "relation": shown_label(a.relation),
            "level": a.level,
            "on": highlight == ALL or a.relation == highlight,
            "hover": hover(shown, a),
            "label": aria(shown, a, choices),
        }
        for a in placed
    ]
    first = next((i for i, a in enumerate(out) if a["on"]), None)
    return {
        "words": shown,
        "arcs": out,
        "levels": max((a.level for a in placed), default=0),
        "first": first,
        "highlight": highlight,
        "choices": list(choices),
    }


def script() -> str:
    """The renderer as it runs in the app and in the report (the components' shared part first)."""
    return component_script(ARC_SCRIPT)


def style() -> str:
    """Its style sheet, in the app and in the report (the components' shared part first)."""
    return component_style(ARC_STYLE)
