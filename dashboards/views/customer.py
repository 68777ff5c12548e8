"""Customer lookup (analyst): search, the 360 profile, scores with reasons, timeline, offer, what-if re-scoring."""

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import data, ui, whatif

st.title("Customer lookup")
ui.page_guard("analyst", "Customer lookup")
if not ui.need("marts.customer_scores"):
    st.stop()
ui.filter_note("country, RFM segment, category (in the attribute search)")

query = st.text_input("Customer id (exact or prefix)", key="cl_id").strip()
with st.expander("Search by attributes", expanded=not query):
    c1, c2, c3 = st.columns(3)
    band = c1.selectbox("Risk band", ["any", "high", "medium", "low"], key="cl_band")
    min_value = c2.number_input("Minimum 12-month value", 0.0, value=0.0, step=50.0, key="cl_minvalue")
    sort = c3.selectbox("Sort by", ["value_12m", "churn_probability", "lifetime_revenue", "recency_days"],
                        key="cl_sort")
cond, params = ui.where(country="country", segment="segment", category="favourite_category")
if query:
    cond, params = cond + " AND customer_id LIKE $q", {**params, "q": query + "%"}
if band != "any":
    cond, params = cond + " AND risk_band = $band", {**params, "band": band}
matches = data.read(f"""SELECT customer_id, country, segment, risk_band, churn_probability, value_12m,
                               lifetime_revenue, recency_days
                        FROM marts.customer_scores WHERE {cond} AND coalesce(value_12m, 0) >= $minv
                        ORDER BY {sort} DESC NULLS LAST LIMIT 200""", minv=min_value, **params)
st.caption(f"{len(matches):,} matching customers shown (at most 200)")
ui.paginated(matches, "cl_matches", page_size=10)
if matches.empty:
    st.stop()
chosen = st.selectbox("Customer", matches.customer_id.tolist(), key="cl_customer")
profile = data.read("SELECT * FROM marts.customer_scores WHERE customer_id = $c", c=chosen).iloc[0]

st.header(f"Customer {ui.md(chosen)}")
m = st.columns(6)
m[0].metric("Lifetime revenue", f"{profile.lifetime_revenue or 0:,.0f}")
m[1].metric("Orders", f"{profile.lifetime_orders or 0:,}")
m[2].metric("Days since last order", "n/a" if pd.isna(profile.recency_days) else f"{profile.recency_days:,}")
m[3].metric("Churn probability", "n/a" if pd.isna(profile.churn_probability) else f"{profile.churn_probability:.1%}",
            help=f"risk band: {ui.md(profile.risk_band)}")
m[4].metric("Expected 12-month value", "n/a" if pd.isna(profile.value_12m) else f"{profile.value_12m:,.0f}")
m[5].metric("P(alive)", "n/a" if pd.isna(profile.probability_alive) else f"{profile.probability_alive:.1%}")
left, right = st.columns(2)
with left:
    st.subheader("Profile")
    shown = ui.mask(profile.to_frame().T)[["country", "city", "age", "gender", "first_seen_at", "favourite_category",
                                           "segment", "rfm_score", "persona", "segment_name", "avg_order_value",
                                           "return_rate", "review_count", "avg_rating", "support_contacts"]]
    st.dataframe(shown.T.rename(columns={shown.index[0]: "value"}).astype(str), width="stretch")
with right:
    st.subheader("Why this risk")
    if isinstance(profile.reasons, str) and profile.reasons:
        for reason in profile.reasons.split("; "):
            st.markdown(f"- {ui.md(reason)}")
    else:
        st.caption("No churn reasons: the customer is not scored (no completed order in the last year) "
                   "or nothing pushes the risk up.")
    st.subheader("Recommended offer")
    if data.has("ml.offer_recommendations"):
        offer = data.read("SELECT * FROM ml.offer_recommendations WHERE customer_id = $c", c=chosen)
        if offer.empty:
            st.caption("No offer row for this customer.")
        else:
            o = offer.iloc[0]
            st.markdown(f"**{ui.md(o.get('recommended_arm'))}** ({ui.md(o.get('discount_pct'))}% off), expected "
                        f"incremental profit {o.get('expected_incremental_profit', 0):,.2f}. {ui.md(o.get('reason', ''))}")
    else:
        ui.need("ml.offer_recommendations")

st.subheader("Timeline")
events = [{"when": profile.first_seen_at, "what": "first seen", "lane": "profile"},
          {"when": profile.first_order_at, "what": "first order", "lane": "orders"},
          {"when": profile.last_order_at, "what": "last order", "lane": "orders"}]
events = pd.DataFrame([e for e in events if pd.notna(e["when"])])
feedback = pd.DataFrame()
if data.has("nlp.feedback_sentiment"):
    feedback = data.read("""SELECT created_at, channel, category, rating, sentiment_label, sentiment_score, text
                            FROM nlp.feedback_sentiment WHERE customer_id = $c ORDER BY created_at""", c=chosen)
    if len(feedback):
        events = pd.concat([events, pd.DataFrame({"when": feedback.created_at, "lane": feedback.channel,
                                                  "what": feedback.channel + " (" + feedback.sentiment_label + ")"})])
else:
    st.caption("Feedback appears here once the feedback models publish nlp.feedback_sentiment (run `cip run`).")
if len(events):
    st.plotly_chart(px.scatter(events, x="when", y="lane", color="what", height=260), width="stretch")
st.caption("Order-level history is not in the published copy (only the marts are): first and last order are shown.")
if len(feedback):
    ui.paginated(feedback, "cl_feedback", page_size=10)

st.subheader("What if")
st.caption("Re-scores with the registered champion churn model (MLflow `models:/cip_churn@champion`) and its "
           "calibrator. Inputs start from this customer's profile where the marts have the feature and from "
           "the training median otherwise; change any of them.")
if st.toggle("Open the what-if form", key="cl_whatif"):
    try:
        champion = st.cache_resource(whatif.load_champion, show_spinner="loading the champion model")()
    except Exception as exc:  # a registry whose artifacts moved or were removed
        st.warning(f"The champion churn model could not be loaded from MLflow ({exc}); run `cip run` to retrain.")
        st.stop()
    if champion is None:
        st.info("No champion churn model is registered yet: run `cip run` (the churn model needs enough history).")
        st.stop()
    manual = st.radio("Start from", ["this customer", "manual entry (training medians)"], horizontal=True,
                      key="cl_whatif_start")
    values = whatif.prefill(champion, profile if manual == "this customer" else None)
    cols = st.columns(4)
    inputs = {f: cols[i % 4].number_input(f, value=float(round(values[f], 4)), key=f"wi_{f}_{chosen}_{manual[:6]}")
              for i, f in enumerate(champion.features)}
    probability, band_now, reasons = whatif.score(champion, inputs)
    st.metric(f"Churn probability (model v{champion.version})", f"{probability:.1%}",
              None if pd.isna(profile.churn_probability) else f"{probability - profile.churn_probability:+.1%} vs stored",
              delta_color="inverse", help=f"risk band {band_now}")
    st.markdown(f"Top reasons: {ui.md(reasons or 'none')}")
