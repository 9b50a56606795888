"""Shareable links: every view's state lives in the URL's query parameters."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from components import sidebar
from components.text import literal
from headscope import models
from headscope.attention import KINDS
from headscope.syntax import RELATION_CHOICES

MAX_TEXT = sidebar.MAX_CHARS

# query parameter -> (session-state key, kind of value)
PARAMS = {
    "text": ("text", "text"),
    "target": ("target", "text"),
    "kind": ("kind", "kind"),
    "words": ("whole_words", "bool"),
    "nospecial": ("hide_special", "bool"),
    "all": ("all_layers", "bool"),
    "layer": ("layer", "int"),
    "relation": ("relation", "relation"),
    "ilayer": ("inside_layer", "int"),
    "ihead": ("inside_head", "int"),
    "rlayer": ("rollout_layer", "int"),
    "corpus": ("overview_corpus", "bool"),
    "bview": ("bertviz_view", "bview"),
    "cmode": ("compare_mode", "cmode"),
    "ctext": ("compare_text", "text"),
    "cmodel": ("compare_model", "text"),
    "clayer": ("compare_layer", "int"),
    "blayer": ("bertviz_layer", "int"),
    "present": ("present_unit", "present"),
    "player": ("present_layer", "int"),
    "phead": ("present_head", "int"),
}
NOTICES = "_link_notices"
KEEP_BROWSER_TEXT = "_keep_browser_text"
"""Set on a reconnected session's first run: the sidebar keeps the sentence the browser sent."""
SHARED = "_shared_query"
"""The query string the open share box shows."""
CHOICES = {
    "kind": tuple(KINDS),
    "relation": RELATION_CHOICES,
    "present": ("head", "layer"),
    "bview": ("head", "model", "neuron"),
    "cmode": ("sentences", "models"),
}
"""Parameters that take one of a few values."""


def _parse(kind: str, raw: str):
    """A query value as session state wants it, or raise ValueError."""
    if kind == "text":
        if len(raw) > MAX_TEXT:
            raise ValueError(f"longer than {MAX_TEXT:,} characters")
        return raw
    if kind == "bool":
        if raw not in ("0", "1", "true", "false"):
            raise ValueError("not 0 or 1")
        return raw in ("1", "true")
    if kind == "int":
        value = int(raw)
        if value < 0 or value > 10_000:
            raise ValueError("out of range")
        return value
    if kind in CHOICES:
        if raw not in CHOICES[kind]:
            raise ValueError(f"not one of {', '.join(CHOICES[kind])}")
        return raw
    raise ValueError(kind)


def _apply_model(raw: str, notices: list[str]) -> None:
    """Select the model a link names (the picker checks the server's policy when it loads it)."""
    if len(raw) > 300:
        notices.append("the link's model name is too long; showing the bundled model")
        return
    options = sidebar.model_options(_policy())
    if raw in options:
        st.session_state["model_choice"] = raw
    elif models.looks_like_path(raw) and sidebar.LOCAL_FOLDER in options:
        st.session_state["model_choice"], st.session_state["model_custom"] = sidebar.LOCAL_FOLDER, raw
    elif not models.looks_like_path(raw) and sidebar.OTHER_HUB in options:
        st.session_state["model_choice"], st.session_state["model_custom"] = sidebar.OTHER_HUB, raw
    else:
        notices.append(f"this server does not offer the model {raw[:60]!r}; showing the bundled model")


def _policy() -> models.Policy:
    from components import engine, faults

    return faults.settings_or_stop(engine.policy)  # a link runs before the sidebar checks the settings


def _reconnected() -> bool:
    """True when a new session's first run arrives with the browser's widget values.

    A fresh page load sends none. A page whose server went away (a replica killed behind
    deploy/'s nginx) reconnects to another server and sends the values on screen, which are
    newer than its URL: a sentence typed just now must not be replaced by the link's. This
    reads Streamlit's private widget state (tests/test_deploy.py covers it).
    """
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        return bool(get_session_state()._state._new_widget_state.states)
    except (AttributeError, ImportError):
        return False


def apply_once() -> None:
    """On a session's first run, copy the URL's query parameters into the session state.

    A value that cannot be used is left out, and a notice says so (shown by `notices`).
    """
    if st.session_state.get("_link_applied"):
        return
    st.session_state["_link_applied"] = True
    if _reconnected():
        st.session_state[KEEP_BROWSER_TEXT] = True  # for this first run's sidebar only
        return
    notices: list[str] = []
    params = st.query_params
    if "model" in params:
        _apply_model(params["model"], notices)
    for name, (key, kind) in PARAMS.items():
        if name not in params:
            continue
        try:
            st.session_state[key] = _parse(kind, params[name])
        except ValueError as exc:
            notices.append(f"ignored {name}={params[name][:40]!r} from the link ({exc})")
    unknown = sorted(set(params) - set(PARAMS) - {"model"})
    if unknown:
        notices.append("ignored unknown link parameters: " + ", ".join(u[:20] for u in unknown[:5]))
    st.session_state[NOTICES] = notices


def check_range(key: str, count: int, what: str) -> None:
    """Reset a layer or head number outside 0..count-1 (a bad link, another model) with a notice."""
    value = st.session_state.get(key)
    if value is not None and value not in range(count):
        st.session_state[key] = 0
        st.warning(f"{what.capitalize()} {value} does not exist in this model (0 to {count - 1}); "
                   f"showing {what} 0.", icon=":material/link_off:")


def notices() -> None:
    """Show what a link asked for that could not be used."""
    for notice in st.session_state.pop(NOTICES, None) or []:
        st.warning(literal(notice[:1].upper() + notice[1:] + "."), icon=":material/link_off:")  # holds link text


def current_params() -> dict[str, str]:
    """The current view as query parameters (values at their defaults are left out)."""
    state = st.session_state
    params: dict[str, str] = {}
    if state.get("model", models.BUNDLED_ID) != models.BUNDLED_ID:
        params["model"] = state["model"]
    for name, (key, kind) in PARAMS.items():
        value = state.get(key)
        if value is None or value == "" or value is False:
            continue
        if key == "text" and value == sidebar.DEFAULT_TEXT:
            continue
        params[name] = ("1" if value else "0") if kind == "bool" else str(value)
    return params


def sync() -> None:
    """Write the current view into the URL, so the address bar is always a shareable link."""
    params = current_params()
    if dict(st.query_params) != params:
        st.query_params.from_dict(params)


def share_box() -> None:
    """A 'copy link' control: the link to this exact view, with a copy button."""
    base = (st.context.url or "").split("?")[0]
    query = urlencode(current_params())
    link = f"{base}{'?' + query if query else ''}"
    # The link (a code block, for its copy button) is drawn only while the box is open: the
    # code block's syntax highlighter cost every page view ~0.2 s of browser CPU (Chromium profile).
    box = st.sidebar.expander("Share this view", icon=":material/link:", key="share_open", on_change="rerun")
    with box:
        st.caption("Anyone who opens this link sees this page with the same model, text and settings.")
        if box.open:
            st.code(link, language=None, wrap_lines=True)
            st.session_state[SHARED] = query


def refresh_share_box() -> None:
    """From inside a fragment: if the open share box shows another view than this one, rerun the
    whole app so it shows this one (a fragment's rerun cannot draw in the sidebar)."""
    if st.session_state.get("share_open") and st.session_state.get(SHARED) != urlencode(current_params()):
        st.rerun(scope="app")
