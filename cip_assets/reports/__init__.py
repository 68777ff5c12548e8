"""Who may read what, and the documents CIP hands to business teams (HTML/PDF report, exports).

Plain modules, no Dagster and no Streamlit: the dashboard (`dashboards/`) and the `cip dashboard`
/ `cip report` commands share them.
"""
