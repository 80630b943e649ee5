"""The dashboard's entry point (``diagnose dashboard`` runs it with ``streamlit run``)."""
from dashboard.navigation import main

main()
