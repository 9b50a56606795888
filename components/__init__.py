"""Reusable Streamlit pieces; they call headscope and draw, and hold no model code."""
