"""Shareable links: every view's state lives in the URL's query parameters."""

from __future__ import annotations

import re
from urllib.parse import quote_plus, urlencode

import streamlit as st

from components import cached, faults, sidebar, state, streamlit_private
from components.text import literal
from headscope import compare, corpus, models
from headscope.answer import DEFAULT_LINKS, LINK_CHOICES
from headscope.attention import KINDS, MAX_CHARS
from headscope.panels import head_name, parse_head_name
from headscope.policy import Policy
from headscope.syntax import RELATION_CHOICES

MAX_QUERY = 8_000
"""The longest query string (URL-encoded bytes) the app writes into a link (address bar, share box).

nginx's default buffer for a request line is 8 KB (`large_client_header_buffers 4 8k`) and
other proxies are alike: a longer link can be refused with HTTP 400 before it reaches any
server, so a link the app writes stays under this and always opens. Past it, the long texts
stay out of the link (`LONG_TEXTS`) and the share box says so.
"""
MAX_INT = 10_000
"""A layer or head number in a link: at most this (a model's own range is checked by `check_range`)."""

# query parameter -> (session-state key, kind of value)
PARAMS = {
    "text": (state.TEXT, "text"),
    "target": (state.TARGET, "text"),
    "kind": (state.KIND, "kind"),
    "words": (state.WHOLE_WORDS, "bool"),
    "norms": (state.NORM_WEIGHTED, "bool"),
    "nospecial": (state.HIDE_SPECIAL, "bool"),
    "all": (state.ALL_LAYERS, "bool"),
    "layer": (state.LAYER, "int"),
    "relation": (state.RELATION, "relation"),
    "ilayer": (state.INSIDE_LAYER, "int"),
    "ihead": (state.INSIDE_HEAD, "int"),
    "rlayer": (state.ROLLOUT_LAYER, "int"),
    "corpus": (state.OVERVIEW_CORPUS, "bool"),
    "bview": (state.BERTVIZ_VIEW, "bview"),
    "cmode": (state.COMPARE_MODE, "cmode"),
    "ctext": (state.COMPARE_TEXT, "text"),
    "cmodel": (state.COMPARE_MODEL, "cmodel"),
    "clayer": (state.COMPARE_LAYER, "int"),
    "calign": (state.COMPARE_ALIGN, "calign"),
    "cstat": (state.COMPARE_STAT, "cstat"),
    "chead": (state.COMPARE_HEAD, "head"),
    "ctab": (state.COMPARE_TAB, "ctab"),
    "blayer": (state.BERTVIZ_LAYER, "int"),
    "present": (state.PRESENT_UNIT, "present"),
    "player": (state.PRESENT_LAYER, "int"),
    "phead": (state.PRESENT_HEAD, "int"),
    "links": (state.SHOW_LINKS, "links"),
    "head": (state.OPEN_HEAD, "head"),
    "kheads": (state.KNOCKOUT_HEADS, "heads"),
    "kablation": (state.KNOCKOUT_ABLATION, "ablation"),
    "verdicts": (state.VERDICT_CORPUS, "verdicts"),
    "class": (state.QUIZ_CLASS, "code"),
}
NOTICES = "_link_notices"
"""Notices to show at the top of the next full run (see `notices`)."""
ON_SCREEN = "_link_notices_shown"
"""The notices the last full run showed (kept when `check_range` draws the app again)."""
SHARED = "_shared_query"
"""The query string the open share box shows."""
CHOICES = {
    "kind": tuple(KINDS),
    "relation": RELATION_CHOICES,
    "present": ("head", "layer"),
    "bview": ("head", "model", "neuron"),
    "cmode": ("sentences", "models"),
    "calign": compare.ALIGNMENTS,
    "cstat": compare.CHOICES,
    "ctab": state.COMPARE_TABS,
    "links": LINK_CHOICES,
    "ablation": ("zero", "mean"),
    "verdicts": tuple(corpus.SOURCES),
}
"""Parameters that take one of a few values."""
DEFAULTS = {state.TEXT: state.DEFAULT_TEXT, state.SHOW_LINKS: DEFAULT_LINKS, state.VERDICT_CORPUS: corpus.DEFAULT}
"""Values a link leaves out: the view opens with them anyway."""
VIEW_DEFAULTS = "_link_view_defaults"
"""Defaults a page works out for this session (the Heads page's layer: the answer's); see `default`."""
LONG_TEXTS = {
    "text": ("The sentence", "the default sentence"),
    "ctext": ("The second sentence", "the default second sentence"),
    "target": ("The target text", "no target text (the decoder reads the source)"),
}
"""Parameters a link leaves out when it would be too long (see MAX_QUERY): what each is, and what opens instead."""


def _parse(kind: str, raw: str):
    """A query value as session state wants it, or raise ValueError saying in words what is wrong."""
    if kind == "text":
        if len(raw) > MAX_CHARS:
            raise ValueError(f"longer than {MAX_CHARS:,} characters, the most the app reads")
        return raw
    if raw == "":
        raise ValueError("no value")
    if kind == "bool":
        if raw not in ("0", "1", "true", "false"):
            raise ValueError("not 0 or 1")
        return raw in ("1", "true")
    if kind == "int":
        if not re.fullmatch(r"-?[0-9]+", raw):  # ASCII digits only: int() also takes full-width digits, " 1" and "1_0"
            raise ValueError("not a number written with the digits 0 to 9")
        value = int(raw) if len(raw) <= 6 else -1  # int() raises past 4,300 digits
        if not 0 <= value <= MAX_INT:
            raise ValueError("out of range")
        return value
    if kind == "head":  # a head opened large: L3H1 (the page checks it against the model)
        head = parse_head_name(raw)
        if head is None:
            raise ValueError("not a head name such as L3H1")
        return head_name(*head)
    if kind == "heads":  # heads switched off: L2H8,L3H1
        heads = []  # as many as given: every head of the model can be switched off (the page checks them)
        for name in raw.split(","):
            head = parse_head_name(name)
            if head is None:
                raise ValueError(f"{_shown(name)} is not a head name such as L2H8; write L2H8,L3H1")
            heads.append(head_name(*head))
        return list(dict.fromkeys(heads))
    if kind == "code":  # a class code: the quiz page says what is wrong with one (headscope.classroom)
        if len(raw) > 40:
            raise ValueError("too long for a class code")
        return raw
    if kind == "cmodel":
        if raw not in sidebar.listed_models(_policy()):
            raise ValueError("not a model this server offers for comparison")
        return raw
    if kind in CHOICES:
        if raw not in CHOICES[kind]:
            raise ValueError(f"not one of {', '.join(CHOICES[kind])}")
        return raw
    raise ValueError(f"unknown kind of value {kind}")  # a bug in PARAMS, not in the link


def _apply_model(raw: str, notices: list[str]) -> None:
    """Select the model a link names (the picker checks the server's policy when it loads it)."""
    if len(raw) > 300:
        notices.append("the link's model name is too long; showing the bundled model")
        return
    options = sidebar.model_options(_policy())
    if raw in options:
        st.session_state[state.MODEL_CHOICE] = raw
    elif models.looks_like_path(raw) and sidebar.LOCAL_FOLDER in options:
        st.session_state[state.MODEL_CHOICE], st.session_state[state.MODEL_CUSTOM] = sidebar.LOCAL_FOLDER, raw
    elif not models.looks_like_path(raw) and sidebar.OTHER_HUB in options:
        st.session_state[state.MODEL_CHOICE], st.session_state[state.MODEL_CUSTOM] = sidebar.OTHER_HUB, raw
    else:
        notices.append(f"this server does not offer the model {raw[:60]!r}; showing the bundled model")


def _policy() -> Policy:
    return faults.settings_or_stop(cached.policy)  # a link runs before the sidebar checks the settings


def _shown(raw: str) -> str:
    """A value from a link as a notice quotes it: at most 40 characters."""
    return repr(raw[:40]) + ("…" if len(raw) > 40 else "")


def apply_once() -> None:
    """On a session's first run, copy the URL's query parameters into the session state.

    One rule for every parameter: a value used as given, or left out with a notice that says
    why in words (shown by `notices`). A parameter given twice is left out (which one was
    meant is unknown); numbers are ASCII digits only. What is left out also leaves the
    address bar, because `sync` writes the view shown, and the view never holds it.
    """
    if st.session_state.get("_link_applied"):
        return
    st.session_state["_link_applied"] = True
    if streamlit_private.browser_sent_widget_values():  # a reconnected page: its sentence is newer than its URL
        st.session_state[state.KEEP_BROWSER_TEXT] = True  # for this first run's sidebar only
        return
    notices: list[str] = []
    params = st.query_params
    given = {name: params.get_all(name) for name in params}
    known = {name: values for name, values in given.items() if name in PARAMS or name == "model"}
    single = {name: values[0] for name, values in known.items() if len(values) == 1}
    for name, values in known.items():
        if len(values) > 1:
            notices.append(
                f"ignored {name} from the link: it is given {len(values)} times "
                f"({', '.join(_shown(v) for v in values[:3])}{', …' if len(values) > 3 else ''}), "
                "and a link gives each setting once"
            )
    if "model" in single:
        _apply_model(single["model"], notices)
    for name, (key, kind) in PARAMS.items():
        if name not in single:
            continue
        try:
            st.session_state[key] = _parse(kind, single[name])
        except ValueError as exc:
            notices.append(f"ignored {name}={_shown(single[name])} from the link ({exc})")
    if st.session_state.get(PARAMS["chead"][0]) and "ctab" not in single:  # a link from before Compare had tabs
        st.session_state[state.COMPARE_TAB] = state.COMPARE_TABS[1]  # its head opens where it is drawn
    unknown = sorted(set(given) - set(known))
    if unknown:
        notices.append("ignored unknown link parameters: " + ", ".join(u[:20] for u in unknown[:5]))
    st.session_state[NOTICES] = notices


def check_range(key: str, count: int, what: str) -> None:
    """Reset a layer or head number outside 0..count-1 (a bad link, another model) to 0, with a notice (see `reset`)."""
    value = st.session_state.get(key)
    if value is None or count < 1 or value in range(count):
        return
    reset(key, 0, f"{what} {value} does not exist in this model (0 to {count - 1}); showing {what} 0")


def check_head(key: str, num_layers: int, num_heads: int, where: str = "this model") -> None:
    """Clear a head name (a bad link, another model) that is not a head of `where`, with a notice (see `reset`)."""
    name = st.session_state.get(key)
    head = parse_head_name(name) if isinstance(name, str) else None
    if not name or (head is not None and head[0] < num_layers and head[1] < num_heads):
        return
    reset(
        key,
        None,
        f"head {_shown(str(name))[1:-1]} does not exist in {where} (layers 0 to {num_layers - 1}, "
        f"heads 0 to {num_heads - 1}); no head is opened",
    )


def reset(key: str, value, notice: str) -> None:
    """Put a setting back to what is shown instead, with a notice, and draw the app again.

    Drawn again, the address bar and the share box hold the view shown; the notice (and those
    already on screen) show at the top of that run.
    """
    st.session_state[key] = value
    st.session_state[NOTICES] = [*st.session_state.get(ON_SCREEN, []), *st.session_state.get(NOTICES, []), notice]
    st.rerun(scope="app")


def notices() -> None:
    """Show what a link asked for that could not be used (once: the next run shows none)."""
    shown = st.session_state.pop(NOTICES, None) or []
    st.session_state[ON_SCREEN] = shown
    for notice in shown:
        st.warning(literal(notice[:1].upper() + notice[1:] + "."), icon=":material/link_off:")  # holds link text


def default(key: str, value) -> None:
    """Give a setting the page's own default: set it unless the user or a link did, and leave it out of links."""
    st.session_state.setdefault(VIEW_DEFAULTS, {})[key] = value
    st.session_state.setdefault(key, value)


def current_params() -> dict[str, str]:
    """The current view as query parameters (values at their defaults are left out)."""
    session = st.session_state.to_dict()  # read once: each lookup in st.session_state (a miss raises twice) costs
    params: dict[str, str] = {}
    if session.get(state.MODEL, models.BUNDLED_ID) != models.BUNDLED_ID:
        params["model"] = session[state.MODEL]
    defaults = {**DEFAULTS, **session.get(VIEW_DEFAULTS, {})}
    for name, (key, kind) in PARAMS.items():
        value = session.get(key)
        if value is None or value == "" or value is False or value == []:
            continue
        if defaults.get(key, object()) == value:
            continue
        if kind == "heads":
            params[name] = ",".join(value)
            continue
        params[name] = ("1" if value else "0") if kind == "bool" else str(value)
    return params


def link_params() -> tuple[dict[str, str], dict[str, int]]:
    """The current view as a link carries it, and the texts left out of it (name -> characters).

    While the query would be longer than MAX_QUERY, the longest of the texts stays out.
    """
    params, left_out = current_params(), {}
    while len(urlencode(params)) > MAX_QUERY:
        longest = max((n for n in LONG_TEXTS if n in params), key=lambda n: len(quote_plus(params[n])), default=None)
        if longest is None:
            break
        left_out[longest] = len(params.pop(longest))
    return params, left_out


def sync() -> None:
    """Write the current view into the URL, so the address bar is always a link that opens (MAX_QUERY)."""
    params, _ = link_params()
    url = st.query_params
    if sorted((k, v) for k in url for v in url.get_all(k)) != sorted(params.items()):
        st.query_params.from_dict(params)


def left_out_message(name: str, chars: int) -> str:
    """Why a text is not in the link, and what to do."""
    what, instead = LONG_TEXTS[name]
    return (
        f"{what} is too long to travel in a link ({chars:,} characters): the link opens this view "
        f"with {instead}. Send the text separately."
    )


def _link() -> tuple[str, str, dict[str, int]]:
    """The link to this exact view, its query, and the texts left out of it."""
    base = (st.context.url or "").split("?")[0]
    params, left_out = link_params()
    query = urlencode(params)
    return f"{base}{'?' + query if query else ''}", query, left_out


def share_link() -> None:
    """The link to this view where it is called (a popover of presentation mode), with a copy button."""
    link, _, left_out = _link()
    st.caption("Anyone who opens this link sees this view with the same model, text and settings.")
    for name, chars in left_out.items():
        st.warning(left_out_message(name, chars), icon=":material/link_off:")
    st.code(link, language=None, wrap_lines=True)


def share_box() -> None:
    """A 'copy link' control in the sidebar: the link to this exact view, with a copy button."""
    link, query, left_out = _link()
    # The link (a code block, for its copy button) is drawn only while the box is open: the
    # code block's syntax highlighter cost every page view ~0.2 s of browser CPU (Chromium profile).
    box = st.sidebar.expander("Share this view", icon=":material/link:", key="share_open", on_change="rerun")
    with box:
        st.caption("Anyone who opens this link sees this page with the same model, text and settings.")
        for name, chars in left_out.items():
            st.warning(left_out_message(name, chars), icon=":material/link_off:")
        if box.open:
            st.code(link, language=None, wrap_lines=True)
            st.session_state[SHARED] = query


def refresh_share_box() -> None:
    """From inside a fragment: if the open share box shows another view than this one, rerun the
    whole app so it shows this one (a fragment's rerun cannot draw in the sidebar)."""
    if st.session_state.get("share_open") and st.session_state.get(SHARED) != urlencode(link_params()[0]):
        st.rerun(scope="app")
