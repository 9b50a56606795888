"""The bertviz page under AppTest: one layer control, the app's, and it is in the link."""

from __future__ import annotations

import json
import re

from tests.support import component_data, linked_app, on_page


def _frame_page(at) -> str:
    """The HTML the page gave bertviz's sandboxed frame."""
    (frame,) = [e for e in at.get("bidi_component") if e.proto.component_name == "headscope_sandboxed_frame"]
    return component_data(frame)["html"]


def _layers_drawn(at) -> list[int]:
    """The layers bertviz was given to draw."""
    params = re.search(r"<script type='application/json' id='bertviz-params'>(.*?)</script>", _frame_page(at), re.S)
    return json.loads(params.group(1))["include_layers"]


def _layer_controls(at) -> list[str]:
    """Every control on the page that picks a layer: the app's sliders and bertviz's own menu."""
    ours = [w.label for w in (*at.select_slider, *at.slider, *at.selectbox) if "layer" in w.label.lower()]
    theirs = ["bertviz's layer menu"] if "<select" in _frame_page(at) else []
    return ours + theirs


def test_the_head_view_has_one_layer_control_and_the_link_says_which_layer():
    at = linked_app({"bview": "head", "blayer": "3"}, "pages/bertviz.py")
    assert _layer_controls(at) == ["Layer"]
    assert at.select_slider(key="bertviz_layer").value == 3
    assert _layers_drawn(at) == [3]
    at.select_slider(key="bertviz_layer").set_value(5).run()
    assert _layers_drawn(at) == [5]
    assert at.query_params["blayer"] == "5"  # the address bar (and the share box) hold the layer shown


def test_the_model_view_draws_every_layer_and_offers_no_layer_control():
    at = on_page("pages/bertviz.py", bertviz_view="model")
    assert _layer_controls(at) == []
    assert _layers_drawn(at) == list(range(6))


def test_a_long_text_in_the_model_view_draws_the_layer_the_slider_picks():
    at = on_page("pages/bertviz.py", bertviz_view="model", text=" ".join(["cat"] * 100), bertviz_layer=4)
    assert _layer_controls(at) == ["Layer"]
    assert _layers_drawn(at) == [4]
    assert any("only layer 4 is drawn" in c.value for c in at.caption)


def test_the_same_view_is_the_same_page_so_a_rerun_keeps_the_frame(cat):
    """The frame reloads only when its page changes (components/sandboxed_frame.js): a rerun that changes
    nothing (the address bar written, another widget moved) must not redraw bertviz."""
    from headscope import bertviz_views

    for view in ("head", "model"):
        assert bertviz_views.build(cat, view, 0) == bertviz_views.build(cat, view, 0)
    assert bertviz_views.build(cat, "head", 0) != bertviz_views.build(cat, "head", 1)
