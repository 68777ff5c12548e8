"""Overview: KPI tiles against the previous period, trends, cohorts, Pareto, activity, geography."""

import plotly.express as px
import streamlit as st

from dashboards import data, ui

st.title("Overview")
ui.page_guard()
if not ui.need("marts.daily_kpis"):
    st.stop()
span = ui.period()
if span is None:
    st.info("marts.daily_kpis is empty: the sources have no completed orders yet.")
    st.stop()
start, end = span
ui.filter_note("period (KPIs and trends; the KPI marts have no country, segment or category dimension); "
               "country (geography)")

tiles = data.kpis(start, end)
cols = st.columns(len(tiles))
for col, k in zip(cols, tiles):
    col.metric(k.name, k.shown(), None if k.delta is None else f"{k.delta:+.1%}",
               help=k.note or f"{start} to {end} against the {(end - start).days + 1} days before")

grain = st.radio("Trend by", ["day", "week", "month"], index=1, horizontal=True, key="ov_grain")
table, column = {"day": ("daily_kpis", "order_date"), "week": ("weekly_kpis", "week_start"),
                 "month": ("monthly_kpis", "month_start")}[grain]
trend = data.read(f"""SELECT {column} AS period, revenue, orders, active_customers, avg_order_value
                      FROM marts.{table} WHERE {column} BETWEEN date_trunc('{grain}', $s::DATE) AND $e
                      ORDER BY 1""", s=start, e=end)
metric = st.selectbox("Measure", ["revenue", "orders", "active_customers", "avg_order_value"], key="ov_metric")
st.plotly_chart(px.line(trend, x="period", y=metric, markers=grain != "day", height=320),
                width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Cohort retention")
    if ui.need("marts.cohort_retention"):
        cohorts = data.read("""SELECT strftime(cohort_month, '%Y-%m') AS cohort, months_since_first, retained_share
                               FROM marts.cohort_retention WHERE months_since_first <= 12 ORDER BY 1, 2""")
        grid = cohorts.pivot(index="cohort", columns="months_since_first", values="retained_share")
        st.plotly_chart(px.imshow(grid, aspect="auto", color_continuous_scale="Blues", text_auto=".0%",
                                  labels={"x": "months since first order", "y": "cohort", "color": "retained"},
                                  height=420), width="stretch")
with right:
    st.subheader("Revenue Pareto")
    if ui.need("marts.revenue_pareto"):
        pareto = data.read("SELECT decile, cumulative_customer_share, cumulative_share, top20_revenue_share "
                           "FROM marts.revenue_pareto ORDER BY decile")
        if len(pareto):
            st.caption(f"The top 20% of customers bring {pareto.top20_revenue_share.iloc[0]:.1%} of revenue.")
        st.plotly_chart(px.line(pareto, x="cumulative_customer_share", y="cumulative_share", markers=True,
                                labels={"cumulative_customer_share": "share of customers (best first)",
                                        "cumulative_share": "share of revenue"}, height=380),
                        width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Activity by weekday and hour")
    if ui.need("marts.activity_heatmap"):
        activity = data.read("SELECT weekday, weekday_name, hour, orders FROM marts.activity_heatmap")
        grid = activity.pivot_table(index=["weekday", "weekday_name"], columns="hour", values="orders", fill_value=0)
        grid.index = [name for _, name in grid.index]
        st.plotly_chart(px.imshow(grid, aspect="auto", color_continuous_scale="Viridis",
                                  labels={"x": "hour", "y": "", "color": "orders"}, height=360),
                        width="stretch")
with right:
    st.subheader("Geography")
    if ui.need("marts.geo_summary"):
        cond, params = ui.where(country="country")
        geo = data.read(f"SELECT * FROM marts.geo_summary WHERE {cond} ORDER BY revenue DESC", **params)
        st.plotly_chart(px.bar(geo.head(20), x="country", y="revenue", color="churned_share",
                               color_continuous_scale="RdYlGn_r", height=360), width="stretch")
        ui.table(geo)
