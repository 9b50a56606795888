"""headscope.hooks: one way to read or change each layer's module while the model runs (norms, knockout, Q/K/V)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from headscope import attention, families, hooks, models
from tests import tiny

TEXT = "The black cat sat on the mat."


@pytest.fixture(scope="module")
def albert(tmp_path_factory):
    """A tiny ALBERT: every layer calls one shared attention module."""
    return models.load(str(tiny.make("albert", tmp_path_factory.mktemp("albert") / "albert")))


def per_layer(loaded, which: str) -> list:
    return [getattr(families.layer_attention(loaded, layer), which) for layer in range(loaded.num_layers)]


def test_a_shared_module_is_told_each_layer_in_order(albert):
    outs = per_layer(albert, "out")
    assert len({id(m) for m in outs}) == 1 and len(outs) == 2  # one module, two layers
    seen = []
    with hooks.on_layers(outs, lambda layer, x: seen.append((layer, tuple(x.shape)))):
        attention.run(albert, TEXT)
    assert [layer for layer, _ in seen] == [0, 1]
    with hooks.on_layers(outs, lambda layer, x: seen.append(layer), hooks.OUTPUT):
        attention.run(albert, TEXT)
    assert seen[2:] == [0, 1]


def test_a_returned_tensor_replaces_the_input_or_the_output_and_the_block_leaves_no_hook(albert):
    intact = attention.run(albert, TEXT).weights

    with hooks.on_layers(per_layer(albert, "out"), lambda layer, x: x * 0 if layer == 0 else None):
        changed = attention.run(albert, TEXT).weights  # layer 0 adds nothing: layer 1 reads another stream
    np.testing.assert_array_equal(changed[0], intact[0])
    assert not np.array_equal(changed[1], intact[1])

    with hooks.on_layers(per_layer(albert, "q"), lambda layer, x: x * 0 if layer == 1 else None, hooks.OUTPUT):
        uniform = attention.run(albert, TEXT).weights  # layer 1's queries all zero: every key weighs the same
    np.testing.assert_array_equal(uniform[0], intact[0])
    np.testing.assert_allclose(uniform[1], 1 / uniform.shape[-1], atol=1e-6)
    assert np.abs(intact[1] - 1 / intact.shape[-1]).max() > 1e-6

    np.testing.assert_array_equal(attention.run(albert, TEXT).weights, intact)  # the hooks went with the blocks


def test_another_threads_forward_pass_is_neither_seen_nor_changed(albert):
    intact = attention.run(albert, TEXT).weights
    seen, theirs = [], {}

    def other():
        theirs["weights"] = attention.run(albert, TEXT).weights

    with hooks.on_layers(per_layer(albert, "q"), lambda layer, x: seen.append(layer) or x * 0):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert seen == []
    np.testing.assert_array_equal(theirs["weights"], intact)


def test_only_input_or_output():
    with pytest.raises(ValueError, match="input or output"):
        with hooks.on_layers([], lambda layer, x: None, "inside"):
            pass
