"""Pages of the Streamlit app, run by st.navigation in ui/app.py.

Not named ``pages/``: Streamlit would also treat that folder as a legacy multipage app.
"""
