"""The Syntax heads page's arc diagram in Chromium: our own SVG component (components/arc_diagram.js)."""

from __future__ import annotations

LONG_TEXT = " ".join(
    [
        "The old lighthouse keeper walked slowly along the narrow path that led from his small stone house",
        "to the cliffs above the harbour, where the fishing boats rocked gently in the grey morning light.",
        "He carried a heavy brass lantern in one hand and a worn leather notebook in the other, because",
        "every day for thirty years he had written down the colour of the sea, the direction of the wind",
        "and the names of all the ships that passed the point before noon.",
        "His daughter, who taught music at the village school, often told him that nobody would ever read",
        "those pages, but he only smiled and said that the sea deserved a careful witness.",
        "When the storm finally came in late autumn, the notebook was the only record that showed how the",
        "tides had changed, and the engineers from the city studied every line of it for weeks.",
    ]
)
