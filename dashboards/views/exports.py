"""Exports (analyst): every published table as CSV or Excel, the report (HTML and PDF), campaign target lists."""

from datetime import date

import streamlit as st

from cip_assets.reports import access
from dashboards import data, ui

st.title("Exports")
ui.page_guard("analyst", "Exports")
st.caption("Every export is written to the audit table (CIP_HOME/dashboard/dashboard.sqlite) with who, when, "
           "what and how many rows.")

st.subheader("Report")
span = ui.period()
st.write(f"KPIs, trend charts, top risks with their offers and the feedback summary for "
         f"{span[0]} to {span[1]} (personal fields masked)." if span else "No KPI data yet.")
if span and st.button("Build the report", key="ex_report"):
    from cip_assets.reports.report import report_bytes  # matplotlib, only when asked

    with st.spinner("building the report"):
        st.session_state.ex_report_bytes = report_bytes(data.db(), span[0], span[1])
    access.audit("export", ui.user(), ui.role(), target="report", detail={"start": span[0], "end": span[1]})
built = st.session_state.get("ex_report_bytes")
if built:
    c1, c2 = st.columns(2)
    stem = f"cip_report_{span[1] if span else date.today()}"
    c1.download_button("Download HTML", built["html"], file_name=f"{stem}.html", mime="text/html", key="ex_html")
    c2.download_button("Download PDF", built["pdf"], file_name=f"{stem}.pdf", mime="application/pdf", key="ex_pdf")

st.subheader("Tables")
tables = sorted(data.tables())
name = st.selectbox("Table", tables, key="ex_table")
if name:
    rows = data.read(f"SELECT count(*) AS n FROM {name}").n[0]
    st.caption(f"{rows:,} rows; Excel exports stop at {ui.EXCEL_MAX_ROWS:,} rows.")
    preview = data.read(f"SELECT * FROM {name} LIMIT 1000")
    ui.paginated(preview, "ex_preview", page_size=20)
    if st.session_state.get("ex_loaded") != name:  # a prepared file belongs to the table it was made from
        st.session_state.pop("ex_table_bytes", None)
    st.session_state.ex_loaded = name
    ui.export_buttons(lambda: data.read(f"SELECT * FROM {name}"), name.replace(".", "_"), "ex_table")

st.subheader("Campaign target lists")
if ui.need("ml.offer_recommendations"):
    arms = data.read("SELECT DISTINCT recommended_arm FROM ml.offer_recommendations ORDER BY 1").recommended_arm
    chosen = st.multiselect("Arms", arms.tolist(), default=[a for a in arms if a not in ("control", "no_offer")],
                            key="ex_arms")
    within = st.checkbox("Only customers within the budget", value=True, key="ex_within")
    cond, params = ui.where(country="s.country", segment="s.segment", category="s.favourite_category")
    targets = data.read(f"""SELECT o.customer_id, o.recommended_arm, o.discount_pct, o.expected_incremental_profit,
                                   o.priority_rank, o.reason
                            FROM ml.offer_recommendations o LEFT JOIN marts.customer_scores s USING (customer_id)
                            WHERE o.recommended_arm IN (SELECT unnest($arms::VARCHAR[])) AND {cond}
                              {'AND o.within_budget' if within else ''}
                            ORDER BY o.priority_rank""", arms=chosen or [""], **params)
    st.caption(f"{len(targets):,} customers")
    ui.paginated(targets, "ex_targets", page_size=20)
    ui.export_buttons(targets, "campaign_targets", "ex_targets_export")

if ui.allowed("admin"):
    st.subheader("Audit log (admin)")
    st.dataframe(access.audit_log(), hide_index=True, width="stretch")
