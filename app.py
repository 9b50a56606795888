"""Headscope: see what every attention head of a transformer does. Run: streamlit run app.py"""

import streamlit as st

from components import cached, faults, links, sidebar, streamlit_private

st.set_page_config(page_title="Headscope", page_icon="🔍", layout="wide")
streamlit_private.visible_focus()  # the sidebar's links show which has the keyboard's focus

page = st.navigation(
    streamlit_private.reused_pages(
        lambda: [
            st.Page("pages/heads.py", title="Heads", icon=":material/grid_on:", default=True),
            st.Page("pages/syntax.py", title="Syntax heads", icon=":material/account_tree:"),
            st.Page("pages/atlas.py", title="Head atlas", icon=":material/map:"),
            st.Page("pages/overview.py", title="Model overview", icon=":material/dashboard:"),
            st.Page("pages/inside.py", title="Inside a head", icon=":material/calculate:"),
            st.Page("pages/rollout.py", title="Attention rollout", icon=":material/timeline:"),
            st.Page("pages/knockout.py", title="Switch heads off", icon=":material/power_settings_new:"),
            st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
            st.Page("pages/present.py", title="Presentation mode", icon=":material/slideshow:"),
            st.Page("pages/quiz.py", title="Guess the head", icon=":material/how_to_vote:"),
            st.Page("pages/bertviz.py", title="bertviz views", icon=":material/share:"),
        ]
    ),
)
faults.settings_or_stop(cached.policy)  # a bad HEADSCOPE_* setting: one message, on every page
with faults.guard("The model could not be loaded"):
    cached.ready()  # transformers and the bundled model, once per process, before any session uses them
links.apply_once()  # a shared link's state, on the session's first run
settings = sidebar.render()
links.sync()  # the address bar always holds a link to this view
links.share_box()
links.notices()
sidebar.language_notice(settings)  # the one notice of a text the parser cannot read, on every page
page.run()
links.sync()  # and after the page: what it changed (a head opened by a click) is in the link too
links.refresh_share_box()
