"""Alerts and monitoring: open alerts with acknowledge, drift and its Evidently report, data quality, model performance."""

from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from cip_assets.reports import access
from dashboards import data, ui


def summarise_alerts(alerts: pd.DataFrame) -> pd.DataFrame:
    """Alerts counted by severity and kind, with the latest time: no entity, message or value."""
    return (alerts.assign(severity=alerts.severity.astype(str), kind=alerts.kind.astype(str))
            .groupby(["severity", "kind"], as_index=False)
            .agg(alerts=("alert_id", "size"), latest=("created_at", "max"))
            .sort_values(["alerts", "latest"], ascending=False))


st.title("Alerts and monitoring")
ui.page_guard()
st.caption("Alerts are written by Dagster into monitoring.alerts (published read-only); acknowledgements are "
           "the dashboard's own and live in CIP_HOME/dashboard/dashboard.sqlite.")

st.subheader("Open alerts")
if ui.need("monitoring.alerts"):
    alerts = data.read("SELECT * FROM monitoring.alerts ORDER BY created_at DESC")
    acks = access.acknowledged()
    alerts["alert_id"] = alerts["id"].astype(str)
    alerts = alerts.merge(acks[["alert_id", "acknowledged_at", "user"]].rename(columns={"user": "acknowledged_by"}),
                          on="alert_id", how="left")
    is_open = alerts.acknowledged_at.isna() & (alerts.get("status", pd.Series("open", index=alerts.index))
                                              .fillna("open").str.lower() == "open")
    open_alerts, done = alerts[is_open], alerts[~is_open]
    c = st.columns(3)
    c[0].metric("Open alerts", f"{len(open_alerts):,}")
    c[1].metric("Critical open", f"{(open_alerts.severity.astype(str).str.lower().isin(['critical', 'error', 'high'])).sum():,}")
    c[2].metric("Acknowledged / closed", f"{len(done):,}")
    if open_alerts.empty:
        st.success("No open alerts.")
    if ui.allowed("analyst"):
        for row in open_alerts.head(50).itertuples():
            box = st.container(border=True)
            box.markdown(f"**{ui.md(row.severity)}** · {ui.md(row.kind)} · {ui.md(row.entity)} · "
                         f"{ui.md(row.created_at)}  \n{ui.md(row.message)}")
            box.caption(ui.md(f"{row.metric} = {row.value} (threshold {row.threshold})"))
            if box.button("Acknowledge", key=f"ack_{row.alert_id}"):
                access.acknowledge(row.alert_id, ui.user())
                access.audit("acknowledge_alert", ui.user(), ui.role(), target=str(row.alert_id))
                st.rerun()
        if len(done):
            with st.expander(f"Acknowledged or closed ({len(done):,})"):
                ui.table(done.drop(columns=["alert_id"]))
    else:  # an alert's entity, message and value can name a customer (high_value_at_risk): counts only
        st.caption("Open alerts by kind; the alerts themselves can name customers and need the analyst role.")
        if len(open_alerts):
            ui.table(summarise_alerts(open_alerts))
        if len(done):
            with st.expander(f"Acknowledged or closed ({len(done):,})"):
                ui.table(summarise_alerts(done))

st.subheader("Drift")
if ui.need("monitoring.drift_summary"):
    drift = data.read("SELECT * FROM monitoring.drift_summary")
    ui.table(drift)
    path_cols = [c for c in drift.columns if any(k in c for k in ("report", "html", "path"))]
    reports = [Path(p) for c in path_cols for p in drift[c].dropna().astype(str) if str(p).endswith(".html")]
    home = data.db().parents[1]
    reports += sorted(home.glob("reports/**/*.html"), key=lambda p: p.stat().st_mtime, reverse=True)
    latest = next((p for p in reports if p.exists()), None)
    if latest:
        st.download_button(f"Evidently report ({latest.name})", latest.read_bytes(), file_name=latest.name,
                           mime="text/html", key="drift_report")
        if st.toggle("Show the Evidently report here", key="drift_inline"):
            st.components.v1.html(latest.read_text(), height=700, scrolling=True)
    else:
        st.caption("No Evidently HTML report found under CIP_HOME/reports.")

st.subheader("Data quality")
if ui.need("monitoring.data_quality"):
    quality = data.read("SELECT * FROM monitoring.data_quality")
    passed = next((c for c in ("passed", "success", "ok") if c in quality), None)
    if passed and "checks" in quality and quality.checks.sum() > 0:  # one row per run: counts
        latest = quality.sort_values(next((c for c in ("checked_at", "created_at") if c in quality), "checks")).iloc[-1]
        st.metric("Checks passing (latest run)", f"{latest[passed] / max(latest.checks, 1):.0%}",
                  help=f"{int(latest[passed]):,} of {int(latest.checks):,} checks")
    elif passed and quality[passed].dtype == bool:  # one row per check
        st.metric("Checks passing", f"{quality[passed].mean():.0%}", help=f"{len(quality):,} checks")
    ui.table(quality)

st.subheader("Model performance over time")
perf_shown = False
if data.has("monitoring.model_performance"):
    perf = data.read("SELECT * FROM monitoring.model_performance")
    time_col = next((c for c in perf.columns if c in ("evaluated_at", "created_at", "as_of", "date", "week")), None)
    if time_col and {"metric", "value"} <= set(perf.columns):
        colour = "model" if "model" in perf else None
        st.plotly_chart(px.line(perf, x=time_col, y="value", color=colour, facet_row="metric", height=420),
                        width="stretch")
    ui.table(perf)
    perf_shown = True
if data.has("ml.churn_model_evaluation"):
    evals = data.read("""SELECT trained_at, model_version, method, roc_auc, pr_auc, lift_top_decile
                         FROM ml.churn_model_evaluation ORDER BY trained_at""")
    st.caption("Churn model, out-of-time evaluation at each training (ml.churn_model_evaluation)")
    st.plotly_chart(px.line(evals, x="trained_at", y="roc_auc", color="method", markers=True, height=300),
                    width="stretch")
    perf_shown = True
if not perf_shown:
    ui.need("monitoring.model_performance")
elif not data.has("monitoring.model_performance"):
    st.caption("monitoring.model_performance (scored outcomes over time) is not published yet: "
               "the monitoring assets have not produced it; run `cip run`.")
