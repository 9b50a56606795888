"""A Streamlit page with a title and, with ?chart=1, one plotly chart of a single point.

bench/browser.py loads it to measure the floor under any plotly figure in Streamlit: the
time the browser spends fetching and running Streamlit's plotly.js chunk, apart from
anything Headscope draws.
"""

import plotly.graph_objects as go
import streamlit as st

st.title("One point")
if st.query_params.get("chart") == "1":
    st.plotly_chart(go.Figure(go.Scatter(x=[0], y=[0])), key="one_point")
