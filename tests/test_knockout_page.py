"""The Switch heads off page (AppTest): pick heads, see both grids, the output, the arcs and importance."""

from __future__ import annotations

import numpy as np

from tests.support import app_figures, app_grids, on_page, texts

PAGE = "pages/knockout.py"


def _z(fig: dict) -> np.ndarray:
    """A heatmap figure's z, as plotly sends it (a list, or typed binary data)."""
    z = fig["data"][0]["z"]
    if isinstance(z, dict):
        import base64

        shape = tuple(int(n) for n in str(z["shape"]).split(","))
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"])).reshape(shape)
    return np.array(z)


def test_no_heads_picked_asks_for_some():
    at = on_page(PAGE)
    assert at.title[0].value == "Switch heads off"
    assert any("Pick one or more heads" in t for t in texts(at.info))
    assert at.multiselect(key="knockout_heads").options[:2] == ["L0H0", "L0H1"]
    assert not app_grids(at)
    titles = [f["layout"]["title"]["text"] for f in app_figures(at)]
    assert "this sentence" in titles  # the importance grid is there without a pick
    assert any("not computed yet" in c.value for c in at.caption)
    assert any("Other heads can take over" in m.value for m in at.markdown)


def test_picking_heads_shows_grids_output_and_arcs():
    at = on_page(PAGE)
    at.multiselect(key="knockout_heads").select("L2H8").run()
    assert not at.exception, at.exception
    at.select_slider(key="knockout_layer").set_value(3).run()
    assert not at.exception, at.exception
    grids = app_grids(at)
    assert len(grids) == 2 and all(len(g["panels"]) == 12 for g in grids)
    assert grids[0]["rowLabels"][0] == "[CLS]" and "black" in grids[0]["rowLabels"]
    assert grids[0]["panels"][0]["cells"] != grids[1]["panels"][0]["cells"]  # layer 3 reads a changed input
    cosine = next(m for m in at.metric if "Cosine" in m.label)
    assert 0.9 < float(cosine.value) < 1
    frames = [df.value for df in at.dataframe]
    arcs = next(f for f in frames if "arc" in f.columns)
    assert {"cat -> sat", "black -> cat"} <= set(arcs["arc"])
    figures = {f["layout"]["title"]["text"]: f for f in app_figures(at)}
    diff = next(f for t, f in figures.items() if "knocked out minus intact" in t)
    assert diff["data"][0]["zmid"] == 0  # diverging around zero
    change = _z(next(f for t, f in figures.items() if t.startswith("largest")))
    assert change.shape == (6, 12) and np.all(change[:3] == 0) and change[3:].max() > 0


def test_mean_ablation_and_going_back_to_no_heads():
    at = on_page(PAGE, knockout_heads=["L0H3"])
    zero = next(m for m in at.metric if "Cosine" in m.label).value
    at.radio(key="knockout_ablation").set_value("mean").run()
    assert not at.exception, at.exception
    mean = next(m for m in at.metric if "Cosine" in m.label).value
    assert mean != zero
    at.multiselect(key="knockout_heads").unselect("L0H3").run()
    assert any("Pick one or more heads" in t for t in texts(at.info))


def test_corpus_column_shows_the_cached_corpus_grid():
    from headscope import knockout, models

    loaded = models.load()
    # the corpus average, stored where the page looks, as a computed one would be (computing it takes minutes)
    path, _ = knockout._bundled_cache(loaded, "zero")
    path.parent.mkdir(parents=True, exist_ok=True)
    effect = np.full((6, 12), 0.01)
    effect[5, 11] = 0.2
    path.write_text(__import__("json").dumps({"model": loaded.name, "effect": effect.tolist(),
                                              "measure": "m", "ablation": "zero", "sentences": 362}))
    try:
        at = on_page(PAGE, knockout_heads=["L5H11"])
        titles = [f["layout"]["title"]["text"] for f in app_figures(at)]
        assert "bundled corpus (362 sentences)" in titles
    finally:
        path.unlink()
