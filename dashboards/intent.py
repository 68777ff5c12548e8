"""The churn page's purchase-intent tab: propensity scores beside churn risk, the model against its baselines,
live sessions' next action, the funnel by category and the hours that convert best."""

import plotly.express as px
import streamlit as st

from dashboards import data, ui


def render() -> None:
    st.caption("From the behavioural events: who is likely to buy soon, and what open sessions will do next.")
    if data.has("ml.purchase_propensity", "marts.customer_scores"):
        _propensity()
    else:
        ui.need("ml.purchase_propensity")
    if data.has("ml.next_action_scores"):
        _live_sessions()
    if ui.need("marts.funnel_by_category", "marts.purchase_timing"):
        _funnel_and_timing()


def _propensity() -> None:
    cond, params = ui.where(country="s.country", segment="s.segment", category="s.favourite_category")
    # from the scores, so that a shop with events but no order history (REES46) still sees its customers
    scored = f"ml.purchase_propensity p LEFT JOIN marts.customer_scores s USING (customer_id) WHERE {cond}"
    (horizon,) = data.read("SELECT any_value(horizon_days) AS h FROM ml.purchase_propensity").h
    if horizon is None or horizon != horizon:  # no rows: nobody was active in the last 30 days
        st.info("`ml.purchase_propensity` is empty: no customer had an event in the 30 days before the data ends.")
        return
    summary = data.read(f"""SELECT count(*) AS n, sum(p.purchase_probability) AS buyers,
                                   count(*) FILTER (WHERE p.propensity_decile >= 9 AND s.risk_band = 'high') AS saveable
                            FROM {scored}""", **params)
    c1, c2, c3 = st.columns(3)
    c1.metric("Customers scored for purchase", f"{summary.n[0]:,}", help="an event in the last 30 days")
    c2.metric(f"Expected buyers in {_duration(horizon)}", f"{summary.buyers[0] or 0:,.0f}",
              help="the sum of the purchase probabilities")
    c3.metric("High churn risk, high purchase intent", f"{summary.saveable[0]:,}",
              help="top two propensity deciles and in the high churn band: still browsing, worth an offer now")
    grid = data.read(f"""SELECT coalesce(s.risk_band, 'not scored') AS churn_risk, p.propensity_decile,
                                count(*) AS customers
                         FROM {scored} GROUP BY 1, 2 ORDER BY 2""", **params)
    if len(grid):
        st.plotly_chart(px.bar(grid, x="propensity_decile", y="customers", color="churn_risk", height=280,
                               title="Propensity decile (10 = most likely to buy) by churn risk",
                               color_discrete_map={"high": "#d62728", "medium": "#ff7f0e", "low": "#2ca02c"}),
                        width="stretch")
    if data.has("ml.propensity_evaluation"):
        st.caption("Out-of-time evaluation of the propensity model against its baselines")
        st.dataframe(data.read("""SELECT method, roc_auc, pr_auc, precision_top5, recall_top5, lift_top5,
                                         evaluation_cutoff, model_version, beats_baselines
                                  FROM ml.propensity_evaluation ORDER BY roc_auc DESC"""),
                     hide_index=True, width="stretch")
    if ui.allowed("analyst"):
        top = data.read(f"""SELECT p.customer_id, s.country, s.segment, p.purchase_probability, p.propensity_decile,
                                   s.churn_probability, s.risk_band, s.value_12m
                            FROM {scored} ORDER BY p.purchase_probability DESC, p.customer_id LIMIT 500""", **params)
        ui.paginated(top, "pi_top", page_size=25)
        ui.export_buttons(top, "purchase_propensity", "pi_top_export")


def _duration(days: float) -> str:
    minutes = round(days * 1440)
    if minutes >= 1440:
        return f"{minutes / 1440:g} days"
    return f"{minutes / 60:g} hours" if minutes >= 60 else f"{minutes} minutes"


def _live_sessions() -> None:
    st.subheader("Open sessions: what comes next")
    live = data.read("""SELECT session_key, customer_id, last_event_at, events, carts, predicted_action,
                               p_purchase, p_cart, p_end, model
                        FROM ml.next_action_scores ORDER BY p_purchase DESC""")
    if live.empty:
        st.info("No session was open when the data ended.")
        return
    st.metric("Open sessions", f"{len(live):,}", help=f"next action scored by {live.model[0]}")
    if data.has("ml.next_action_evaluation"):
        st.dataframe(data.read("""SELECT model, macro_f1, purchase_precision, purchase_recall, accuracy, chosen
                                  FROM ml.next_action_evaluation ORDER BY macro_f1 DESC"""),
                     hide_index=True, width="stretch")
    if ui.allowed("analyst"):
        ui.paginated(live, "pi_live", page_size=25)


def _funnel_and_timing() -> None:
    st.subheader("Funnel by category and the best hours")
    funnel = data.read("""SELECT category, sessions_viewed, sessions_carted, sessions_purchased, view_to_cart_rate,
                                 cart_to_purchase_rate, view_to_purchase_rate
                          FROM marts.funnel_by_category ORDER BY sessions_viewed DESC""")
    st.dataframe(funnel, hide_index=True, width="stretch")
    timing = data.read("SELECT weekday_name, weekday, hour, purchase_probability, sessions, probability_rank "
                       "FROM marts.purchase_timing ORDER BY weekday, hour")
    if len(timing):
        best = timing.sort_values("probability_rank").head(3)
        st.caption("Highest purchase probability (sessions started, shrunk toward the average): " + ", ".join(
            f"{r.weekday_name} {r.hour:02d}:00 ({r.purchase_probability:.0%} of {r.sessions:,} sessions)"
            for r in best.itertuples()))
        heat = timing.pivot_table(index="weekday_name", columns="hour", values="purchase_probability", sort=False)
        st.plotly_chart(px.imshow(heat, aspect="auto", height=280, color_continuous_scale="Greens",
                                  labels={"color": "purchase probability"}), width="stretch")
