"""Headscope: see what every attention head of a transformer does. Run: streamlit run app.py"""

import streamlit as st

from components import sidebar

st.set_page_config(page_title="Headscope", page_icon="🔍", layout="wide")

page = st.navigation(
    [st.Page("pages/heads.py", title="Heads", icon="🟦", default=True)],
)
sidebar.render()
page.run()
