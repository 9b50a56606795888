"""Guess the head: a class's students each pick the head they think follows a relation, then see the answer."""

import streamlit as st

from components import cached, faults, nav, quiz_view, state
from headscope import classroom

nav.ensure_app()
st.set_page_config(initial_sidebar_state="collapsed")  # a phone's screen goes to the heads
nav.compact_page()
s = state.current()
st.title("Guess the head")
info, relation = quiz_view.quiz_class()  # the link's class and relation, or a plain message and the code box
quiz_view.check_model(info, s)
with faults.model_run():
    cached.attention_view(s)
guess = quiz_view.own_guess(info.code, relation)
st.markdown(f"### {classroom.question(relation)}")
if guess.revealed:
    quiz_view.reveal(s, info, relation, guess)
else:
    quiz_view.ask(s, info, relation)
