"""Headscope engine: run a transformer, collect and analyse its attention. No Streamlit here."""

__version__ = "0.1.0"
