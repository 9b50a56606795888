"""The Switch heads off page (AppTest): pick heads, see both grids, the output, the arcs and importance."""

from __future__ import annotations

import numpy as np

from tests.support import app_figures, app_grids, app_tables, on_page, texts

PAGE = "pages/knockout.py"


def _values(grid: dict) -> np.ndarray:
    """A one-panel grid's cells as the values its hover shows."""
    import base64

    levels = np.frombuffer(base64.b64decode(grid["panels"][0]["cells"]), dtype="<u2").reshape(
        grid["rows"], grid["cols"]
    )
    scale = grid["scale"]
    return scale["lo"] + levels / grid["levels"] * (scale["hi"] - scale["lo"])


def _by_name(at) -> dict:
    return {g["panels"][0]["name"]: g for g in app_grids(at)}


def test_no_heads_picked_asks_for_some():
    at = on_page(PAGE)
    assert at.title[0].value == "Switch heads off"
    assert any("Pick one or more heads" in t for t in texts(at.info))
    assert at.multiselect(key="knockout_heads").options[:2] == ["L0H0", "L0H1"]
    grids = _by_name(at)
    # the importance grids are there without a pick: this short sentence's, and the shipped corpus average
    assert list(grids) == ["this sentence", "bundled corpus (362 sentences)"] and not app_figures(at)
    assert grids["this sentence"]["clickable"] == "cell" and grids["this sentence"]["panels"][0]["outlines"]
    assert not any("not computed yet" in c.value for c in at.caption)
    assert any("Other heads can take over" in m.value for m in at.markdown)


def test_picking_heads_shows_grids_output_and_arcs():
    at = on_page(PAGE)
    at.multiselect(key="knockout_heads").select("L2H8").run()
    assert not at.exception, at.exception
    at.select_slider(key="knockout_layer").set_value(3).run()
    assert not at.exception, at.exception
    grids = [g for g in app_grids(at) if len(g["panels"]) == 12]
    assert len(grids) == 3  # intact, switched off, and their difference
    assert grids[0]["rowLabels"][0] == "[CLS]" and "black" in grids[0]["rowLabels"]
    assert grids[0]["panels"][0]["cells"] != grids[1]["panels"][0]["cells"]  # layer 3 reads a changed input
    cosine = next(m for m in at.metric if "Cosine" in m.label)
    assert 0.9 < float(cosine.value) < 1
    frames = app_tables(at)
    arcs = next(f for f in frames if "arc" in f.columns)
    assert {"cat -> sat", "black -> cat"} <= set(arcs["arc"])
    diff = grids[2]
    assert diff["scale"]["kind"] == "diverging" and diff["scale"]["lo"] == -diff["scale"]["hi"]  # around zero
    change = _values(_by_name(at)["largest |change| of a weight"])
    assert change.shape == (6, 12) and np.all(change[:3] == 0) and change[3:].max() > 0
    # a click on a head of a layer x head grid switches it off too
    at.session_state["knockout_importance"] = {"head": {"layer": 4, "head": 1}}
    at.run()
    assert at.multiselect(key="knockout_heads").value == ["L2H8", "L4H1"]
    at.run()  # the same click, read again, adds nothing
    assert at.multiselect(key="knockout_heads").value == ["L2H8", "L4H1"]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "This knockout as .json" in labels and "Head importance as .json" in labels
    assert dict(at.query_params)["kheads"] == "L2H8,L4H1"  # in the link, like every other view


def test_mean_ablation_and_going_back_to_no_heads():
    at = on_page(PAGE, knockout_heads=["L0H3"])
    zero = next(m for m in at.metric if "Cosine" in m.label).value
    at.radio(key="knockout_ablation").set_value("mean").run()
    assert not at.exception, at.exception
    mean = next(m for m in at.metric if "Cosine" in m.label).value
    assert mean != zero
    at.multiselect(key="knockout_heads").unselect("L0H3").run()
    assert any("Pick one or more heads" in t for t in texts(at.info))


def test_corpus_column_shows_the_cached_corpus_grid(monkeypatch, tmp_path):
    from headscope import knockout, models
    from headscope.knockout import store

    loaded = models.load()
    monkeypatch.setattr(store, "SHIPPED", tmp_path)  # none shipped: the disk cache's is read
    # the corpus average, stored where the page looks, as a computed one would be (computing it takes minutes)
    path, _ = knockout.bundled_cache(loaded, "zero")
    path.parent.mkdir(parents=True, exist_ok=True)
    effect = np.full((6, 12), 0.01)
    effect[5, 11] = 0.2
    path.write_text(
        __import__("json").dumps(
            {"model": loaded.name, "effect": effect.tolist(), "measure": "m", "ablation": "zero", "sentences": 362}
        )
    )
    try:
        at = on_page(PAGE, knockout_heads=["L5H11"])
        corpus = _by_name(at)["bundled corpus (362 sentences)"]
        assert _values(corpus).argmax() == 5 * 12 + 11
    finally:
        path.unlink()


def test_a_link_names_the_heads_switched_off_and_bad_ones_get_a_notice():
    from tests.support import linked_app

    at = linked_app({"kheads": "L2H8,L3H1", "kablation": "mean"}, PAGE)
    assert at.multiselect(key="knockout_heads").value == ["L2H8", "L3H1"]
    assert at.radio(key="knockout_ablation").value == "mean" and any("Cosine" in m.label for m in at.metric)
    at = linked_app({"kheads": "L2H8;rm -rf"})  # the notice shows on the first page the link opens
    said = " ".join(texts(at.warning) + texts(at.sidebar.warning))
    at.switch_page(PAGE).run()
    assert not at.exception and not at.multiselect(key="knockout_heads").value
    assert "kheads" in said or "head names" in said, said


def test_the_layer_slider_opens_on_the_first_layer_that_changes():
    at = on_page(PAGE, knockout_heads=["L2H8"])
    assert not at.exception, at.exception
    change = _values(_by_name(at)["largest |change| of a weight"])
    first = int(np.flatnonzero(change.max(axis=1) > 0)[0])
    assert first == 3 and at.select_slider(key="knockout_layer").value == first
    intact, knocked = [g for g in app_grids(at) if len(g["panels"]) == 12][:2]
    assert intact["panels"][0]["cells"] != knocked["panels"][0]["cells"]  # what it opens on shows a change
    at.select_slider(key="knockout_layer").set_value(5).run()
    at.multiselect(key="knockout_heads").select("L4H1").run()  # the first layer that changes is still 3
    assert at.select_slider(key="knockout_layer").value == 5  # the reader's layer stays
    at.multiselect(key="knockout_heads").select("L0H3").run()  # now layer 1 changes first: the slider goes there
    assert at.select_slider(key="knockout_layer").value == 1


def test_the_importance_caption_says_what_the_colours_mean():
    from headscope import panels

    at = on_page(PAGE)
    grid = _by_name(at)["this sentence"]
    scale = grid["scale"]
    # the colour scale as built: sequential from 0 (the palette's first colour, viridis' dark purple) upwards
    assert scale["kind"] == "sequential" and scale["lo"] == 0 and panels.VIRIDIS[0] == "#440154"
    caption = next(c.value for c in at.caption if c.value.startswith("Effect:"))
    assert "dark purple is 0" in caption and "yellow the largest" in caption and "brighter" in caption
    assert "Darker: the model needs" not in caption
