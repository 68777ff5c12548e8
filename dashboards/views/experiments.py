"""Experiments: the A/B test planner, reading a finished test, the campaign ROI simulator."""

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import data, ui

st.title("Experiments")
ui.page_guard()
try:
    from cip_assets.pricing import experiments as ex
except ImportError as exc:  # the pricing issue's module is not installed
    st.info(f"The experiment-design capability is not installed (cip_assets.pricing.experiments: {exc}).")
    st.stop()



@st.cache_data(show_spinner=False)
def mde_curve(baseline: float, alpha: float, power: float) -> pd.DataFrame:
    sizes = [500, 1000, 2000, 5000, 10000, 20000, 50000, 100000]
    return pd.DataFrame({"n_per_arm": sizes, "mde": [ex.minimum_detectable_effect(baseline, n, alpha, power)
                                                     for n in sizes]})


plan_tab, read_tab, roi_tab = st.tabs(["Plan a test", "Read a finished test", "Campaign ROI simulator"])

with plan_tab:
    c = st.columns(3)
    baseline = c[0].number_input("Baseline conversion rate", 0.001, 0.99, 0.10, step=0.01, format="%.3f",
                                 key="xp_baseline")
    relative = c[1].toggle("Relative effect", key="xp_relative")
    mde = c[2].number_input("Minimum detectable effect" + (" (relative)" if relative else " (absolute)"),
                            0.001, 5.0, 0.10 if relative else 0.02, step=0.005, format="%.3f", key="xp_mde")
    c = st.columns(4)
    alpha = c[0].selectbox("Significance level", [0.01, 0.05, 0.10], index=1, key="xp_alpha")
    power = c[1].selectbox("Power", [0.7, 0.8, 0.9, 0.95], index=1, key="xp_power")
    arms = c[2].number_input("Arms (incl. control)", 2, 10, 2, key="xp_arms")
    traffic = c[3].number_input("Eligible customers per day", 0.0, value=500.0, step=50.0, key="xp_traffic")
    try:
        plan = ex.design(baseline, mde, alpha=alpha, power=power, arms=int(arms), daily_traffic=traffic or None,
                         relative=relative)
    except ValueError as err:
        st.warning(f"Not a valid plan: {err}")
    else:
        m = st.columns(4)
        m[0].metric("Customers per arm", f"{plan['n_per_arm']:,}")
        m[1].metric("Customers in total", f"{plan['n_total']:,}")
        m[2].metric("Days", "n/a" if plan["days"] is None else f"{plan['days']:,}")
        m[3].metric("Target rate", f"{plan['target']:.2%}")
        if int(arms) > 2:
            st.caption(f"{int(arms) - 1} comparisons with control, each at alpha {plan['alpha_per_comparison']:.4f} "
                       "(Bonferroni).")
        curve = mde_curve(baseline, alpha, power)
        fig = go.Figure(go.Scatter(x=curve.n_per_arm, y=curve.mde, mode="lines+markers"))
        fig.update_layout(xaxis_type="log", xaxis_title="customers per arm", yaxis_title="detectable lift (absolute)",
                          height=300, title="What each size can detect")
        st.plotly_chart(fig, width="stretch")

with read_tab:
    c = st.columns(4)
    n_c = c[0].number_input("Control: customers", 1, value=2000, key="xr_nc")
    k_c = c[1].number_input("Control: conversions", 0, value=200, key="xr_kc")
    n_t = c[2].number_input("Treated: customers", 1, value=2000, key="xr_nt")
    k_t = c[3].number_input("Treated: conversions", 0, value=250, key="xr_kt")
    c = st.columns(3)
    r_alpha = c[0].selectbox("Significance level", [0.01, 0.05, 0.10], index=1, key="xr_alpha")
    planned = c[1].number_input("Planned customers per arm (0 = reached)", 0, value=0, key="xr_planned")
    looks = c[2].number_input("Times the result was looked at", 1, value=1, key="xr_looks")
    if k_c > n_c or k_t > n_t:
        st.warning("Conversions cannot exceed customers.")
    else:
        r = ex.read_test(int(k_c), int(n_c), int(k_t), int(n_t), alpha=r_alpha, planned_n_per_arm=planned or None,
                         looks=int(looks))
        m = st.columns(4)
        m[0].metric("Control rate", f"{r.rate_control:.2%}")
        m[1].metric("Treated rate", f"{r.rate_treated:.2%}", f"{r.difference:+.2%}")
        m[2].metric("p-value", f"{r.p_value:.4f}")
        m[3].metric("Relative lift", "n/a" if math.isnan(r.relative_lift) else f"{r.relative_lift:+.1%}")
        verdict = "significant" if r.significant else "not significant"
        st.markdown(f"The difference is **{verdict}** at {r_alpha}: {r.difference:+.2%} "
                    f"({1 - r_alpha:.0%} interval {r.ci_low:+.2%} to {r.ci_high:+.2%}). At this size the test could "
                    f"detect {r.mde_at_this_size:.2%}.")
        if r.warning:
            st.warning(r.warning)

with roi_tab:
    c = st.columns(4)
    n_target = c[0].number_input("Customers to target", 1, value=5000, key="xo_n")
    order_value = c[1].number_input("Average order value", 0.0, value=80.0, key="xo_value")
    margin = c[2].number_input("Gross margin", 0.0, 1.0, 0.35, step=0.05, key="xo_margin")
    discount = c[3].number_input("Discount %", 0.0, 90.0, 10.0, key="xo_discount")
    c = st.columns(5)
    contact = c[0].number_input("Contact cost", 0.0, value=0.1, key="xo_contact")
    on_c = c[1].number_input("Test control: customers", 1, value=2000, key="xo_nc")
    ok_c = c[2].number_input("Test control: conversions", 0, value=200, key="xo_kc")
    on_t = c[3].number_input("Test treated: customers", 1, value=2000, key="xo_nt")
    ok_t = c[4].number_input("Test treated: conversions", 0, value=250, key="xo_kt")
    if ok_c > on_c or ok_t > on_t:
        st.warning("Conversions cannot exceed customers.")
    else:
        sim = ex.simulate_roi(int(n_target), int(ok_c), int(on_c), int(ok_t), int(on_t), order_value, margin,
                              discount, contact)
        m = st.columns(4)
        for col, key, label in zip(m, ("incremental_conversions", "incremental_revenue", "cost", "profit"),
                                   ("Incremental conversions", "Incremental revenue", "Cost", "Profit")):
            col.metric(label, f"{sim[key]:,.0f}", help=f"90% interval {sim[key + '_low']:,.0f} to {sim[key + '_high']:,.0f}")
        st.markdown(f"Probability the campaign is profitable: **{sim['probability_profitable']:.0%}** "
                    f"(profit 90% interval {sim['profit_low']:,.0f} to {sim['profit_high']:,.0f}).")
    if data.has("ml.uplift_evaluation"):
        st.caption("Uplift model evaluation (ml.uplift_evaluation)")
        ui.table(data.read("SELECT * FROM ml.uplift_evaluation"))
