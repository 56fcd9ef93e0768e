"""Streamlit entry point: `streamlit run app.py` (or `dashboard run [FILE]`)."""

from dashboard.ui import main

main()
