"""The Streamlit dashboard as an external asset in Dagster's graph: it reads the published copy."""

import dagster as dg

dashboard_spec = dg.AssetSpec(
    key=["serving", "dashboard"],
    deps=[dg.AssetKey(["serving", "published"])],
    group_name="serving",
    kinds={"streamlit"},
    owners=["team:data-engineering"],
    description="The CIP dashboard (`cip dashboard`, dashboards/app.py): reads only CIP_HOME/published/cip.duckdb, "
    "read-only; pages for KPIs, churn and pricing, customers, segments, feedback, questions, alerts, experiments "
    "and exports.",
    metadata={"url": dg.MetadataValue.url("http://127.0.0.1:8501"), "entry_point": "dashboards/app.py"},
)
