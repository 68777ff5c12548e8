"""Segments: RFM grid, cluster map (PCA), personas, mix by country and category, segment movement."""

import plotly.express as px
import streamlit as st

from dashboards import data, ui

st.title("Segments")
ui.page_guard()
ui.filter_note("country, RFM segment, category (favourite category)")
if not ui.need("marts.customer_scores"):
    st.stop()
cond, params = ui.where(country="country", segment="segment", category="favourite_category")
base = f"(SELECT * FROM marts.customer_scores WHERE r_score IS NOT NULL AND {cond})"

st.subheader("RFM segments")
seg = data.read(f"""SELECT segment, count(*) AS customers, sum(lifetime_revenue) AS revenue,
                           avg(lifetime_revenue) AS revenue_per_customer, avg(recency_days) AS avg_recency_days,
                           avg(churn_probability) AS avg_churn_probability
                    FROM {base} GROUP BY 1 ORDER BY revenue DESC""", **params)
left, right = st.columns([3, 2])
with left:
    grid = data.read(f"""SELECT r_score, round((f_score + m_score) / 2) AS fm_score, any_value(segment) AS segment,
                                count(*) AS customers, sum(lifetime_revenue) AS revenue
                         FROM {base} GROUP BY 1, 2""", **params)
    if len(grid):
        counts = grid.pivot(index="fm_score", columns="r_score", values="customers").sort_index(ascending=False)
        labels = grid.pivot(index="fm_score", columns="r_score", values="segment").sort_index(ascending=False)
        text = labels.fillna("") + "<br>" + counts.fillna(0).astype(int).astype(str)
        fig = px.imshow(counts, color_continuous_scale="Blues", aspect="auto", height=420,
                        labels={"x": "R score (recency)", "y": "FM score", "color": "customers"})
        fig.update_traces(text=text.values, texttemplate="%{text}")
        st.plotly_chart(fig, width="stretch")
with right:
    ui.table(seg)

st.subheader("Cluster map and personas")
if ui.need("ml.customer_segments"):
    points = data.read(f"""SELECT segment_name, persona, pca_x, pca_y FROM {base}
                           WHERE pca_x IS NOT NULL USING SAMPLE reservoir(4000 ROWS) REPEATABLE (7)""", **params)
    left, right = st.columns([3, 2])
    left.plotly_chart(px.scatter(points, x="pca_x", y="pca_y", color="segment_name", opacity=0.6, height=440,
                                 hover_data=["persona"], title="Customers on the first two principal components "
                                 "(a sample of at most 4,000)"), width="stretch")
    personas = data.read(f"""SELECT segment_name, any_value(persona) AS persona, count(*) AS customers,
                                    avg(value_12m) AS value_12m, avg(churn_probability) AS churn_probability
                             FROM {base} WHERE segment_name IS NOT NULL GROUP BY 1 ORDER BY customers DESC""", **params)
    with right:
        for row in personas.itertuples():
            st.markdown(f"**{ui.md(row.segment_name)}** ({row.customers:,} customers, 12-month value "
                        f"{(row.value_12m or 0):,.0f} each): {ui.md(row.persona)}")

st.subheader("Segment mix")
by = st.radio("By", ["country", "favourite_category"], horizontal=True, key="sg_mix_by")
colour = st.radio("Segments", ["segment", "segment_name"], horizontal=True, key="sg_mix_kind",
                  format_func=lambda c: "RFM segment" if c == "segment" else "cluster")
mix = data.read(f"""SELECT {by} AS dim, {colour} AS seg, count(*) AS customers FROM {base}
                    WHERE {colour} IS NOT NULL GROUP BY 1, 2""", **params)
st.plotly_chart(px.bar(mix, x="dim", y="customers", color="seg", barmode="stack", height=380,
                       labels={"dim": by, "seg": colour}), width="stretch")

st.subheader("Movement between segments")
history = next((t for t, cols in data.tables().items()
                if {"customer_id", "segment"} <= set(cols) and ("snapshot_date" in cols or "as_of_date" in cols)), None)
if history:
    date_col = "snapshot_date" if "snapshot_date" in data.columns(history) else "as_of_date"
    moves = data.read(f"""WITH s AS (SELECT customer_id, segment, {date_col} AS d,
                                  lead(segment) OVER (PARTITION BY customer_id ORDER BY {date_col}) AS next_segment
                                  FROM {history})
                          SELECT segment AS from_segment, next_segment AS to_segment, count(*) AS customers
                          FROM s WHERE next_segment IS NOT NULL GROUP BY 1, 2""")
    st.plotly_chart(px.density_heatmap(moves, x="to_segment", y="from_segment", z="customers", height=420),
                    width="stretch")
else:
    st.info("Segment history is not published yet (one RFM snapshot per period is needed to show movement over "
            "time). Shown instead: how the RFM segments map onto the behavioural clusters today.")
    cross = data.read(f"""SELECT segment, segment_name, count(*) AS customers FROM {base}
                          WHERE segment_name IS NOT NULL GROUP BY 1, 2""", **params)
    if len(cross):
        st.plotly_chart(px.density_heatmap(cross, x="segment_name", y="segment", z="customers", height=420,
                                           labels={"segment_name": "cluster", "segment": "RFM segment"}),
                        width="stretch")
