"""CIP dashboard: `cip dashboard` (or `cip ui`), reading only the published copy, read-only.

Pages a role may not open are not registered at all, so a viewer has no link and no URL to a
customer-level page; each such page checks the role again itself. The login (password or SSO) and
the role are checked against the config on every rerun (dashboards/ui.py `login_gate`).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboards import ui  # noqa: E402

PAGES = [  # file, title, icon, least role
    ("views/overview.py", "Overview", ":material/dashboard:", "viewer"),
    ("views/churn_pricing.py", "Churn and pricing", ":material/trending_down:", "viewer"),
    ("views/customer.py", "Customer lookup", ":material/person_search:", "analyst"),
    ("views/segments.py", "Segments", ":material/scatter_plot:", "viewer"),
    ("views/feedback.py", "Feedback", ":material/reviews:", "viewer"),
    ("views/ask.py", "Ask", ":material/chat:", "viewer"),
    ("views/alerts.py", "Alerts and monitoring", ":material/notifications:", "viewer"),
    ("views/experiments.py", "Experiments", ":material/science:", "viewer"),
    ("views/exports.py", "Exports", ":material/download:", "analyst"),
]

st.set_page_config(page_title="CIP dashboard", page_icon=":material/insights:", layout="wide")
ui.login_gate()
here = Path(__file__).parent
pages = [st.Page(str(here / f), title=t, icon=i, default=(n == 0))
         for n, (f, t, i, least) in enumerate(PAGES) if ui.allowed(least)]
navigation = st.navigation(pages)
ui.published_or_stop()
ui.sidebar_filters()
ui.logout_button()
navigation.run()
