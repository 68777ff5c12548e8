"""The tables the pricing assets write, declared once (written with cip_resources.tables.write_table)."""

from cip_resources.tables import TableSpec

D, I, V, B, T = "DOUBLE", "BIGINT", "VARCHAR", "BOOLEAN", "TIMESTAMP"

UPLIFT_EVALUATION = TableSpec("ml", "uplift_evaluation", {
    "campaign_id": V, "learner": V, "arm": V, "outcome": V, "qini_normalised": D, "auuc": D, "uplift_at_10": D,
    "uplift_at_20": D, "uplift_at_30": D, "ate": D, "ate_low": D, "ate_high": D, "ate_p_value": D, "n_treated": I,
    "n_control": I, "n_test_treated": I, "n_test_control": I, "mean_predicted_uplift": D, "feature_mode": V,
    "chosen_for_offers": B, "mlflow_run_id": V, "trained_at": T},
    grain="one row per campaign, arm, outcome and uplift learner, measured on the held-out split")
UPLIFT_QINI_CURVE = TableSpec("ml", "uplift_qini_curve", {
    "share_targeted": D, "qini": D, "random": D, "learner": V, "arm": V, "outcome": V, "campaign_id": V},
    grain="one row per campaign, arm, outcome, learner and targeted share (21 points)")
OFFER_POLICY_EVALUATION = TableSpec("ml", "offer_policy_evaluation", {
    "trained_at": T, "campaign_id": V, "method": V, "learner": V, "incremental_profit_per_customer": D,
    "registered": B, "model_version": V, "champion_version": V, "mlflow_run_id": V},
    grain="one row per training run and policy method (the model and each baseline), on held-out campaign rows")
OFFER_RECOMMENDATIONS = TableSpec("ml", "offer_recommendations", {
    "customer_id": V, "recommended_arm": V, "discount_pct": D, "predicted_uplift": D, "base_conversion": D,
    "expected_order_value": D, "expected_incremental_profit": D, "expected_cost": D, "churn_probability": D,
    "risk_band": V, "expected_value_12m": D, "reason": V, "priority_rank": I, "within_budget": B, "campaign_id": V,
    "learner": V, "scored_at": T, "model_version": V},
    grain="one row per customer in the offer population, from the cip_offer_policy champion")
PRICE_SENSITIVITY = TableSpec("marts", "price_sensitivity", {
    "segment": V, "category": V, "elasticity": D, "ci_low": D, "ci_high": D, "n_lines": I, "n_customers": I,
    "avg_net_price": D, "avg_quantity": D, "discount_effect_10pp": D, "discount_ci_low": D, "discount_ci_high": D,
    "discounted_share": D, "repeat_rate_discounted": D, "repeat_rate_full_price": D, "repeat_rate_diff": D,
    "repeat_diff_ci_low": D, "repeat_diff_ci_high": D, "note": V},
    grain="one row per customer segment and category (plus all-segment and all-category rows)")
CAMPAIGN_READOUT = TableSpec("ml", "campaign_readout", {
    "campaign_id": V, "arm": V, "outcome": V, "n_control": I, "n_treated": I, "rate_control": D, "rate_treated": D,
    "difference": D, "ci_low": D, "ci_high": D, "relative_lift": D, "z": D, "p_value": D, "significant": B,
    "mde_at_this_size": D, "warning": V},
    grain="one row per campaign, treated arm and outcome, read against control")
CAMPAIGN_ROI = TableSpec("ml", "campaign_roi", {
    "segment": V, "arm": V, "conv_treated": D, "n_treated": I, "discount_pct": D, "conv_control": D, "n_control": I,
    "n_targeted_source": V, "n_targeted": I, "order_value": D, "order_value_source": V, "campaign_id": V, "draws": I,
    "incremental_conversions": D, "incremental_conversions_low": D, "incremental_conversions_high": D,
    "incremental_revenue": D, "incremental_revenue_low": D, "incremental_revenue_high": D, "cost": D, "cost_low": D,
    "cost_high": D, "profit": D, "profit_low": D, "profit_high": D, "probability_profitable": D},
    grain="one row per campaign, recency segment and treated arm")
