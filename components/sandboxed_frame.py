"""An HTML page in a frame that is a real sandbox: its scripts run in an opaque origin.

`st.iframe` gives its frame `allow-scripts allow-same-origin`, so a script inside can read the
app's page and the `_streamlit_xsrf` cookie; escaping would be the only defence. This frame
has `sandbox="allow-scripts"` only. Its page (about:srcdoc) inherits the app's
Content-Security-Policy and resolves `/app/static/...` against the app's address.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

_frame = st.components.v2.component(
    "headscope_sandboxed_frame",
    js=(Path(__file__).with_suffix(".js")).read_text(encoding="utf-8"),
    isolate_styles=False,  # a bare iframe; nothing to style
)


def sandboxed_frame(html: str, height: int, title: str, key: str) -> None:
    """Draw `html` in a sandboxed frame `height` pixels high, named `title` for screen readers."""
    _frame(data={"html": html, "height": int(height), "title": title}, key=key, height=int(height))
