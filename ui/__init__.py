"""Delivery surfaces: the Streamlit chat (app.py) and the HTTP API (api.py)."""
