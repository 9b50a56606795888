"""Pieces of the Inside a head page: each step of softmax(QK^T / sqrt(d_k)) V as a figure."""

from __future__ import annotations

import numpy as np
import streamlit as st

from components import cached, charts, heatmaps, links
from headscope import canvas, figures
from headscope.panels import head_name, token_labels
from headscope.qkv import HeadParts

TOLERANCE = 1e-5


def pickers(num_layers: int, num_heads: int) -> tuple[int, int]:
    """Layer and head selectors, side by side."""
    left, right = st.columns(2)
    links.check_range("inside_layer", num_layers, "layer")
    links.check_range("inside_head", num_heads, "head")
    layer = left.select_slider("Layer", options=list(range(num_layers)), key="inside_layer")
    head = right.select_slider("Head", options=list(range(num_heads)), key="inside_head")
    return int(layer), int(head)


def _name(key: str) -> str:
    layer, head = st.session_state.get("inside_layer", 0), st.session_state.get("inside_head", 0)
    return f"L{layer}H{head}-{key.removeprefix('inside_')}"


def _chart(fig, key: str) -> None:
    charts.show(fig, key=key, name=_name(key))


def _matrix(
    key: str, matrix: np.ndarray, rows: list[str], cols: list[str] | None, title: str, *, signed: bool = True, **kwargs
) -> None:
    """One step's matrix in the grid renderer: signed values on a blue-white-red scale around 0, else 0 to 1."""
    matrix = np.asarray(matrix, dtype=np.float32)
    scale = canvas.diverging(float(np.abs(matrix).max()), "value") if signed else canvas.weights(1.0)
    heatmaps.show(canvas.matrix_data(matrix, rows, cols, title, scale, **kwargs), key=key, name=_name(key))


def inputs(p: HeadParts) -> None:
    """Step 1: what the layer's attention reads."""
    st.markdown(f"#### 1. The layer's input: one vector of {p.d_model} numbers per token")
    st.caption("GPT-2 normalises it first (ln_1); BERT-style models read the previous layer's output directly.")
    _matrix(
        "inside_inputs",
        p.inputs,
        list(p.tokens),
        None,
        f"input [{len(p.tokens)} x {p.d_model}]",
        row_title="token",
        col_title="dimension",
    )


def projections(p: HeadParts) -> None:
    """Step 2: the head's own slices of W_Q, W_K, W_V, and its Q, K, V."""
    st.markdown("#### 2. This head's projections: Q = X W_Q + b, K = X W_K + b, V = X W_V + b")
    st.markdown(
        f"Each head owns a {p.d_model} x {p.d_k} slice of each weight matrix (columns "
        f"{p.head * p.d_k} to {(p.head + 1) * p.d_k - 1}), so it reads the same input in its own "
        f"{p.d_k}-dimensional subspace: W_Q {p.w_q.shape}, W_K {p.w_k.shape}, W_V {p.w_v.shape}."
    )
    cols = st.columns(3)
    for col, (name, m) in zip(cols, (("Q (queries)", p.queries), ("K (keys)", p.keys), ("V (values)", p.values))):
        with col:
            _matrix(
                f"inside_{name[0]}",
                m,
                list(p.tokens),
                None,
                f"{name} [{m.shape[0]} x {m.shape[1]}]",
                col_title="dimension",
            )


def scores(p: HeadParts) -> None:
    """Step 3: scores, scaling, mask, softmax."""
    st.markdown(f"#### 3. Scores Q K^T, divided by sqrt(d_k) = {p.scale:.3f}, masked, softmaxed")
    toks = list(p.tokens)
    cols = st.columns(2)
    with cols[0]:
        _matrix(
            "inside_raw",
            p.raw_scores,
            toks,
            toks,
            "Q K^T: query \u00b7 key",
            row_title="query (attends from)",
            col_title="key (attends to)",
            value_name="q\u00b7k",
        )
    with cols[1]:
        _matrix(
            "inside_scaled",
            p.scores,
            toks,
            toks,
            f"Q K^T / {p.scale:.3f}",
            row_title="query (attends from)",
            col_title="key (attends to)",
            value_name="scaled score",
        )
    cols = st.columns(2)
    causal = not p.mask.all()
    with cols[0]:
        _matrix(
            "inside_mask",
            p.mask.astype(np.float32),
            toks,
            toks,
            "mask: causal (a token sees only itself and earlier ones)"
            if causal
            else "mask: every token may attend to every token",
            row_title="query",
            col_title="key",
            value_name="allowed",
            signed=False,
        )
    with cols[1]:
        _matrix(
            "inside_weights",
            p.weights,
            toks,
            toks,
            "softmax: the attention weights (rows sum to 1)",
            row_title="attends from",
            col_title="attends to",
            value_name="weight",
            signed=False,
        )


@st.fragment
def one_query(model: str, text: str, layer: int, head: int) -> None:
    """One query token's dot products with every key, its scaled scores and weights.

    A fragment: picking another query token reruns this part only, not the page's ten figures.
    Given the head's key, not its parts: Streamlit keeps a fragment's arguments with the
    session, and the parts come from the results cache (components/cached.py).
    """
    p = cached.head_parts(model, text, layer, head)
    toks = list(p.tokens)
    labels = figures.axis_labels(toks)
    names = token_labels(toks)  # widgets show plain text; `labels` are escaped for plotly
    q = st.selectbox("Query token", range(len(toks)), format_func=lambda i: names[i], key="inside_query")
    fig = figures.bars_figure(
        toks,
        {
            "q\u00b7k / sqrt(d_k)": p.scores[q],
            "softmax weight": p.weights[q],
        },
        f"{labels[q]}: its score and weight for every key",
    )
    _chart(fig, "inside_query_bars")


def output(p: HeadParts, num_heads: int) -> None:
    """Steps 4-5: weighted sum of values, then all heads concatenated and projected."""
    st.markdown("#### 4. Output of the head: the weights times V")
    _matrix(
        "inside_output",
        p.output,
        list(p.tokens),
        None,
        f"weights @ V [{p.output.shape[0]} x {p.d_k}]",
        col_title="dimension",
    )
    st.markdown(f"#### 5. All {num_heads} heads side by side, then the output projection")
    st.caption(
        f"This head's block (columns {p.head * p.d_k}-{(p.head + 1) * p.d_k - 1}) is outlined. "
        f"A final linear layer mixes the {p.concat.shape[1]} columns back into the model's "
        f"{p.projected.shape[1]} dimensions (then the residual connection and layer norm follow)."
    )
    cols = st.columns(2)
    with cols[0]:
        _matrix(
            "inside_concat",
            p.concat,
            list(p.tokens),
            None,
            f"concatenated heads {p.concat.shape}",
            col_title="dimension",
            outline_cols=(p.head * p.d_k, (p.head + 1) * p.d_k),
        )
    with cols[1]:
        _matrix(
            "inside_projected",
            p.projected,
            list(p.tokens),
            None,
            f"output projection {p.projected.shape}",
            col_title="dimension",
        )


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
