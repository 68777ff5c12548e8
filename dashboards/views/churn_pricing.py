"""Churn and pricing: risk distribution, high-value customers at high risk, offers under a budget, price sensitivity;
and purchase intent from the events (dashboards/intent.py)."""

import plotly.express as px
import streamlit as st

from dashboards import data, intent, ui

st.title("Churn and pricing")
ui.page_guard()
ui.filter_note("country, RFM segment, category (favourite category of the customer)")
tab_churn, tab_intent = st.tabs(["Churn risk and offers", "Purchase intent"])
with tab_intent:  # first, so that the churn tab stopping early (no scores) still leaves it drawn
    intent.render()
with tab_churn:
    if not ui.need("marts.customer_scores"):
        st.stop()
    cond, params = ui.where(country="s.country", segment="s.segment", category="s.favourite_category")
    scored = f"marts.customer_scores s WHERE s.churn_probability IS NOT NULL AND {cond}"

    bands = data.read(f"""SELECT risk_band, count(*) AS customers, sum(value_12m) AS value_12m,
                                 avg(churn_probability) AS avg_probability
                          FROM {scored} GROUP BY 1 ORDER BY avg_probability DESC""", **params)
    if bands.empty:
        st.info("No customer has a churn score under these filters (the churn model may have been skipped: "
                "see `ml/churn_model` in the Dagster UI, or run `cip run`).")
        st.stop()
    cols = st.columns(len(bands))
    for col, row in zip(cols, bands.itertuples()):
        col.metric(f"{ui.md(row.risk_band)} risk", f"{row.customers:,}", help=f"12-month value {row.value_12m or 0:,.0f}")
    hist = data.read(f"""SELECT floor(churn_probability * 20) / 20 AS probability, risk_band, count(*) AS customers
                         FROM {scored} GROUP BY 1, 2 ORDER BY 1""", **params)
    st.plotly_chart(px.bar(hist, x="probability", y="customers", color="risk_band", height=300,
                           color_discrete_map={"high": "#d62728", "medium": "#ff7f0e", "low": "#2ca02c"}),
                    width="stretch")

    st.subheader("High-value customers at high risk")
    value_floor = st.slider("Minimum expected 12-month value", 0, 5000, 100, step=50, key="cp_value_floor")
    risky = f"{scored} AND s.risk_band = 'high' AND coalesce(s.value_12m, 0) >= $floor"
    summary = data.read(f"SELECT count(*) AS n, sum(value_12m) AS v FROM {risky}", floor=value_floor, **params)
    c1, c2 = st.columns(2)
    c1.metric("Customers", f"{summary.n[0]:,}", help="high risk and at least the chosen expected value")
    c2.metric("Expected 12-month value at risk", f"{summary.v[0] or 0:,.0f}")
    if ui.allowed("analyst"):
        top = data.read(f"""SELECT s.customer_id, s.country, s.segment, s.churn_probability, s.value_12m,
                                   s.lifetime_revenue, s.recency_days, s.reasons
                            FROM {risky} ORDER BY s.value_12m DESC NULLS LAST LIMIT 500""", floor=value_floor, **params)
        ui.paginated(top, "cp_top", page_size=25)
        ui.export_buttons(top, "high_value_at_risk", "cp_top_export")
        reasons = data.read(f"""SELECT trim(r) AS reason_feature, count(*) AS customers
                                FROM (SELECT unnest(string_split(top_features, ',')) AS r
                                      FROM ml.churn_scores WHERE risk_band = 'high') GROUP BY 1 ORDER BY 2 DESC""") \
            if data.has("ml.churn_scores") else None
    else:
        st.caption("The customer list needs the analyst role; the counts above are aggregates.")
        reasons = data.read("""SELECT trim(r) AS reason_feature, count(*) AS customers
                               FROM (SELECT unnest(string_split(top_features, ',')) AS r
                                     FROM ml.churn_scores WHERE risk_band = 'high') GROUP BY 1 ORDER BY 2 DESC""") \
            if data.has("ml.churn_scores") else None
    if reasons is not None and len(reasons):
        st.plotly_chart(px.bar(reasons.head(12), x="customers", y="reason_feature", orientation="h", height=320,
                               title="What drives high risk (top-3 reasons, counted)"), width="stretch")

    st.subheader("Offer recommendations")
    if ui.need("ml.offer_recommendations"):
        cols_available = data.columns("ml.offer_recommendations")
        cost = ("o.expected_cost" if "expected_cost" in cols_available
                else "coalesce(o.discount_pct, 0) / 100.0 * coalesce(o.expected_order_value, 0)")
        ocond, oparams = ui.where(country="s.country", segment="s.segment", category="s.favourite_category")
        join = "LEFT JOIN marts.customer_scores s USING (customer_id)" if oparams else ""  # only to filter
        offers_sql = f"""SELECT o.*, {cost} AS offer_cost FROM ml.offer_recommendations o {join}
                         WHERE o.discount_pct > 0 AND o.expected_incremental_profit > 0 AND {ocond}"""
        total = data.read(f"SELECT count(*) AS n, sum(offer_cost) AS cost FROM ({offers_sql})", **oparams)
        max_budget = float(total.cost[0] or 0)
        if total.n[0] == 0:
            st.info("No customer has a profitable offer under these filters.")
        else:
            budget = st.slider("Budget for discounts and contacts", 0.0, round(max_budget + 1, 0),
                               round(max_budget / 2, 0), key="cp_budget")
            chosen_sql = f"""SELECT * FROM (
                                SELECT *, sum(offer_cost) OVER (ORDER BY expected_incremental_profit DESC, customer_id
                                                                 ROWS UNBOUNDED PRECEDING) AS cumulative_cost
                                FROM ({offers_sql})) WHERE cumulative_cost <= $budget"""
            arms = data.read(f"""SELECT recommended_arm, count(*) AS customers, sum(expected_incremental_profit) AS profit,
                                        sum(offer_cost) AS cost
                                 FROM ({chosen_sql}) GROUP BY 1 ORDER BY 2 DESC""", budget=budget, **oparams)
            c1, c2, c3 = st.columns(3)
            c1.metric("Customers targeted", f"{int(arms.customers.sum()):,}", help=f"of {total.n[0]:,} with a profitable offer")
            c2.metric("Expected incremental profit", f"{arms.profit.sum():,.0f}")
            c3.metric("Expected cost", f"{arms.cost.sum():,.0f}")
            st.plotly_chart(px.bar(arms, x="recommended_arm", y="customers", hover_data=["profit"], height=280),
                            width="stretch")
            if ui.allowed("analyst"):
                targets_sql = f"""SELECT customer_id, recommended_arm, discount_pct, predicted_uplift,
                                         expected_incremental_profit, churn_probability, risk_band, reason
                                  FROM ({chosen_sql}) ORDER BY expected_incremental_profit DESC, customer_id"""
                st.caption("The first 500 targeted customers; the export has all of them.")
                ui.paginated(data.read(targets_sql + " LIMIT 500", budget=budget, **oparams), "cp_targets", page_size=25)
                ui.export_buttons(lambda: data.read(targets_sql, budget=budget, **oparams), "campaign_targets",
                                  "cp_targets_export")

    st.subheader("Price sensitivity")
    elastic = next((t for t, cols in data.tables().items() if "elasticity" in cols), None)
    if elastic is None:
        st.info("No price-sensitivity table is published yet: the pricing models have not produced it. "
                "Run `cip run` and reload.")
    else:
        prices = data.read(f"SELECT * FROM {elastic}")
        if prices.empty:
            st.info(f"`{elastic}` is empty.")
        else:
            x = "category" if "category" in prices else prices.columns[0]
            fig = px.scatter(prices, x=x, y="elasticity", color="segment" if "segment" in prices else None,
                             error_y=(prices.ci_high - prices.elasticity) if "ci_high" in prices else None,
                             error_y_minus=(prices.elasticity - prices.ci_low) if "ci_low" in prices else None,
                             height=360, title=f"Price elasticity with its interval ({elastic})")
            fig.add_hline(y=0, line_dash="dot")
            st.plotly_chart(fig, width="stretch")
            ui.table(prices)
