"""A diverging scale's middle follows the theme: white on a light page, a dark grey on a dark one (pure colours)."""

from __future__ import annotations

import base64

import numpy as np

from components import cached
from headscope import canvas, panels
from headscope.models import BUNDLED_ID


def _lightness(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(float) @ [0.299, 0.587, 0.114]


def _palette(b64: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=np.uint8).reshape(-1, 4)


def test_the_middle_of_a_diverging_scale_is_white_on_light_and_dark_grey_on_dark():
    scale = canvas.diverging(2.0, "value")
    light, dark = scale.rgba(), scale.rgba(dark=True)
    middle = len(light) // 2  # value 0
    assert light[middle, :3].tolist() == [247, 247, 247]
    assert dark[middle, :3].tolist() == list(panels._rgb("#262730"))
    assert _lightness(dark[middle]) < 60 < 200 < _lightness(light[middle])
    # on a dark page the colours grow lighter away from 0, blue below and red above
    arms = _lightness(dark[: middle + 1][::-1]), _lightness(dark[middle:])
    assert all(np.all(np.diff(arm) > -1) for arm in arms)  # (to within the rounding to bytes)
    assert dark[0, 2] > dark[0, 0] and dark[-1, 0] > dark[-1, 2]
    # the ends stay the light scale's blues and reds, not another palette
    assert (light[0, 2] > light[0, 0]) and (light[-1, 0] > light[-1, 2])


def test_only_diverging_grids_carry_a_dark_palette():
    assert np.array_equal(canvas.weights(1.0).rgba(dark=True), canvas.weights(1.0).rgba())  # Viridis either way
    steps = cached.inside_canvas(BUNDLED_ID, "The black cat sat on the mat.", 3, 5)
    for key in ("inputs", "Q", "K", "V", "raw", "scaled", "output", "concat", "projected"):
        grid = steps[key]
        light, dark = _palette(grid["palette"]), _palette(grid["paletteDark"])
        assert grid["scale"]["kind"] == "diverging" and not np.array_equal(light, dark), key
        assert _lightness(dark[127]) < 60 < 200 < _lightness(light[127]), key
    assert steps["weights"]["paletteDark"] is None and steps["mask"]["paletteDark"] is None
