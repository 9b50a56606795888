"""Pieces of the Inside a head page: each step of softmax(QK^T / sqrt(d_k)) V as a figure."""

from __future__ import annotations

import streamlit as st

from components import cached, heatmaps, links, plotly_chart, state
from headscope.panels import head_name, token_labels
from headscope.qkv import HeadParts

TOLERANCE = 1e-5

Steps = dict[str, dict]
"""The page's matrices as grid data, by step (components/cached.inside_canvas, headscope/canvas.head_steps)."""


def pickers(num_layers: int, num_heads: int) -> tuple[int, int]:
    """Layer and head selectors, side by side."""
    left, right = st.columns(2)
    links.check_range(state.INSIDE_LAYER, num_layers, "layer")
    links.check_range(state.INSIDE_HEAD, num_heads, "head")
    layer = left.select_slider("Layer", options=list(range(num_layers)), key=state.INSIDE_LAYER)
    head = right.select_slider("Head", options=list(range(num_heads)), key=state.INSIDE_HEAD)
    return int(layer), int(head)


def _name(key: str) -> str:
    layer, head = st.session_state.get(state.INSIDE_LAYER, 0), st.session_state.get(state.INSIDE_HEAD, 0)
    return f"L{layer}H{head}-{key.removeprefix('inside_')}"


def _matrix(steps: Steps, step: str) -> None:
    """One step's matrix in the grid renderer (data built once per head and text)."""
    key = f"inside_{step}"
    heatmaps.show(steps[step], key=key, name=_name(key))


def _side_by_side(steps: Steps, *names: str) -> None:
    """Steps' matrices in a row of equal widths: one element (heatmaps.row), each with its downloads."""
    key = "inside_" + "_".join(names)
    heatmaps.row([steps[n] for n in names], key=key, names=[_name(f"inside_{n}") for n in names])


def inputs(p: HeadParts, steps: Steps) -> None:
    """Step 1: what the layer's attention reads."""
    st.markdown(f"#### 1. The layer's input: one vector of {p.d_model} numbers per token")
    st.caption("GPT-2 normalises it first (ln_1); BERT-style models read the previous layer's output directly.")
    _matrix(steps, "inputs")


def projections(p: HeadParts, steps: Steps) -> None:
    """Step 2: the head's own slices of W_Q, W_K, W_V, and its Q, K, V."""
    st.markdown("#### 2. This head's projections: Q = X W_Q + b, K = X W_K + b, V = X W_V + b")
    st.markdown(
        f"Each head owns a {p.d_model} x {p.d_k} slice of each weight matrix (columns "
        f"{p.head * p.d_k} to {(p.head + 1) * p.d_k - 1}), so it reads the same input in its own "
        f"{p.d_k}-dimensional subspace: W_Q {p.w_q.shape}, W_K {p.w_k.shape}, W_V {p.w_v.shape}."
    )
    _side_by_side(steps, "Q", "K", "V")


def scores(p: HeadParts, steps: Steps) -> None:
    """Step 3: scores, scaling, mask, softmax."""
    st.markdown(f"#### 3. Scores Q K^T, divided by sqrt(d_k) = {p.scale:.3f}, masked, softmaxed")
    seen = (
        "this model is causal: a token sees only itself and earlier ones"
        if not p.mask.all()
        else "here every token may attend to every token"
    )
    st.caption(
        f"The mask says which keys each query may see ({seen}); the softmax turns each row into weights that sum to 1."
    )
    _side_by_side(steps, "raw", "scaled")
    _side_by_side(steps, "mask", "weights")


@st.fragment
def one_query(model: str, text: str, layer: int, head: int) -> None:
    """One query token's dot products with every key, its scaled scores and weights.

    A fragment: picking another query token reruns this part only, not the page's ten figures.
    Given the head's key, not its parts: Streamlit keeps a fragment's arguments with the
    session, and the parts and the bars come from the results cache (components/cached.py).
    """
    names = token_labels(cached.head_parts(model, text, layer, head).tokens)  # widgets show plain text
    q = st.selectbox("Query token", range(len(names)), format_func=names.__getitem__, key="inside_query")
    key = "inside_query_bars"
    plotly_chart.show(cached.query_bars(model, text, layer, head, q), key=key, name=_name(key))


def output(p: HeadParts, steps: Steps, num_heads: int) -> None:
    """Steps 4-5: weighted sum of values, then all heads concatenated and projected."""
    st.markdown("#### 4. Output of the head: the weights times V")
    _matrix(steps, "output")
    st.markdown(f"#### 5. All {num_heads} heads side by side, then the output projection")
    st.caption(
        f"This head's block (columns {p.head * p.d_k}-{(p.head + 1) * p.d_k - 1}) is outlined. "
        f"A final linear layer mixes the {p.concat.shape[1]} columns back into the model's "
        f"{p.projected.shape[1]} dimensions (then the residual connection and layer norm follow)."
    )
    _side_by_side(steps, "concat", "projected")


def check(p: HeadParts) -> None:
    """The live check: the recomputed weights equal the model's own attention."""
    diff = p.max_abs_diff
    ok = diff < TOLERANCE
    name = head_name(p.layer, p.head)
    if ok:
        st.caption(
            f"Check: these steps, recomputed here, give the same weights as the model's own attention "
            f"for {name} (they differ by at most {diff:.1e}, rounding)."
        )
    else:
        st.warning(
            f"These steps, recomputed here, do not give the model's own attention for {name}: they "
            f"differ by up to {diff:.1e}. This model computes attention in a way this page does not "
            "take apart; trust the Heads page for its weights."
        )
