"""Pricing and retention offers as Dagster assets: uplift models and the offer policy, offer recommendations,
price sensitivity, campaign readouts and campaign ROI. Thin wiring: the work is in `training.py`, `policy.py`,
`campaigns.py`, `experiments.py`, `price_sensitivity.py` and `cip_resources.lifecycle`."""

from datetime import datetime

import dagster as dg
import pandas as pd
from dagster_dbt import get_asset_key_for_model

from cip_assets.marts.assets import cip_dbt_assets
from cip_assets.pricing import campaigns as cmp
from cip_assets.pricing import tables
from cip_assets.pricing.experiments import roi_table
from cip_assets.pricing.offers import NO_OFFER, OfferSettings
from cip_assets.pricing.policy import is_policy_pyfunc, score_customers
from cip_assets.pricing.price_sensitivity import price_sensitivity as price_sensitivity_table
from cip_assets.pricing.training import (METRIC, REGISTERED_MODEL, evaluate_campaigns, policy_rows,
                                         register_and_decide)
from cip_assets.serving.privacy import safe_markdown
from cip_assets.skip import skipped
from cip_resources.config import CipSettings
from cip_resources.lifecycle import decision_check, store_decision
from cip_resources.mlflow import MlflowResource
from cip_resources.tables import table_exists, write_table
from cip_resources.warehouse import WarehouseResource

GROUP, OWNERS = "pricing", ["team:data-science"]
CAMPAIGNS = get_asset_key_for_model([cip_dbt_assets], "stg_campaign_exposures")
ORDER_LINES = get_asset_key_for_model([cip_dbt_assets], "stg_order_lines")
CUSTOMERS = get_asset_key_for_model([cip_dbt_assets], "stg_customers")
STAGING_INPUTS = [get_asset_key_for_model([cip_dbt_assets], m)  # what the churn snapshot features read
                  for m in ("stg_campaign_exposures", "stg_order_lines", "stg_feedback", "stg_events")]
CUSTOMER_RFM = get_asset_key_for_model([cip_dbt_assets], "customer_rfm")
PRICE_SUMS = get_asset_key_for_model([cip_dbt_assets], "int_customer_category_prices")
NO_CAMPAIGN = f"no campaign with at least {cmp.MIN_ROWS} customers and both a control and a treated group"


def _md(frame: pd.DataFrame, rows: int = 12) -> dg.MetadataValue:
    return dg.MetadataValue.md(safe_markdown(frame, rows, "empty", floatfmt=".4f"))  # personal data masked


def _campaigns(warehouse: WarehouseResource) -> pd.DataFrame | None:
    with warehouse.get_connection() as con:
        found = cmp.campaigns(con)
    return found if len(found) else None


@dg.asset(key=["ml", "uplift_model"], group_name=GROUP, deps=STAGING_INPUTS, kinds={"lightgbm", "mlflow"},
          owners=OWNERS)
def uplift_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                 mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """T-, X-, class-transformation and doubly robust LightGBM uplift learners for every randomised campaign, one
    effect per arm against control, measured on a held-out 30% (normalised Qini, AUUC, uplift in the top
    10/20/30%, average effect with a 95% interval). The offer policy of the best learner on the newest campaign is
    judged beside 'treat everyone' and 'no offer' on held-out incremental profit, the best registered as
    `cip_offer_policy` and promoted unless the champion earns more on the same rows (see `training.py`)."""
    found = _campaigns(warehouse)
    if found is None:
        return skipped(context, NO_CAMPAIGN)
    evaluated = evaluate_campaigns(warehouse, found, context.log)
    if isinstance(evaluated, str):
        return skipped(context, evaluated)
    lifecycle = mlflow_tracking.lifecycle(REGISTERED_MODEL, METRIC)
    offer_settings = OfferSettings.from_config(settings.config().raw)
    run_id, decision, scores = register_and_decide(lifecycle, mlflow_tracking, context.run_id, evaluated,
                                                   offer_settings)
    evaluation = evaluated.evaluation.assign(mlflow_run_id=run_id, trained_at=datetime.now())
    with warehouse.get_connection() as con:
        write_table(con, tables.UPLIFT_EVALUATION, evaluation[list(tables.UPLIFT_EVALUATION.columns)])
        write_table(con, tables.UPLIFT_QINI_CURVE, evaluated.curves)
        if decision is not None:
            write_table(con, tables.OFFER_POLICY_EVALUATION, policy_rows(evaluated, scores, decision, run_id), "append")
            store_decision(con, decision)
    if decision is not None:
        (context.log.info if decision.model_beats_baselines else context.log.warning)(decision.summary)
    policy = evaluated.policy
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(evaluation), "mlflow_run_id": run_id, "evaluation": _md(evaluation[[
            "campaign_id", "arm", "outcome", "learner", "qini_normalised", "uplift_at_30", "ate", "ate_low",
            "ate_high"]], 40),
        "policy_campaign": str(policy.campaign_id if policy else None),
        "policy_learner": policy.learner if policy else "none",
        "decision": decision.summary if decision else "no campaign with a complete conversion outcome: no policy",
        "champion_version": decision.champion_version if decision else "none"})


@dg.asset_check(asset=uplift_model, name="beats_baselines", blocking=False,
                description="WARN when the uplift policy did not earn more than treating everyone and sending nothing "
                            "on held-out campaign rows, or did not become champion: the figures, and which is. Never "
                            "blocks: the champion still recommends offers.")
def uplift_beats_baselines(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        return decision_check(con, REGISTERED_MODEL)


@dg.asset(key=["ml", "offer_recommendations"], group_name=GROUP, kinds={"lightgbm", "duckdb"}, owners=OWNERS,
          deps=[uplift_model, dg.AssetKey(["ml", "churn_scores"]), dg.AssetKey(["ml", "customer_value"]),
                *STAGING_INPUTS, CUSTOMERS])
def offer_recommendations(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                          mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Per customer, from the `cip_offer_policy` champion alone: the arm (no offer or a discount level) with the
    highest expected incremental profit, with churn risk and 12-month value, a reason in words and a
    budget-constrained priority (`offers:` in cip.yaml: margin, budget, max_offers, contact_cost)."""
    offer_settings = OfferSettings.from_config(settings.config().raw)
    lifecycle = mlflow_tracking.lifecycle(REGISTERED_MODEL, METRIC)
    version = lifecycle.version("champion")
    if version is None:
        return skipped(context, "no offer policy has been registered yet: the `retrain` job's uplift_model does it")
    champion = lifecycle.load(str(version.version))
    if not is_policy_pyfunc(champion):
        return skipped(context, f"champion v{version.version} predates the self-contained offer policy; run the "
                                "`retrain` job to register one (the previous recommendations stay published)")
    meta = champion.unwrap_python_model().meta
    with warehouse.get_connection() as con:
        customers, X = cmp.scoring_population(con, meta["feature_mode"], meta["campaign_id"])
        if not len(customers):
            return skipped(context, "no customers to score")
        rec = score_customers(champion, cmp.join_scores(con, customers), X, offer_settings, str(version.version))
        write_table(con, tables.OFFER_RECOMMENDATIONS, rec)
    offered, inside = rec[rec.recommended_arm != NO_OFFER], rec[rec.within_budget]
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rec), "model_version": str(version.version),
        "method": lifecycle.method_of(version), "campaign_id": str(meta["campaign_id"]),
        "arms": dg.MetadataValue.json({k: int(v) for k, v in rec.recommended_arm.value_counts().items()}),
        "offers_within_budget": len(inside), "expected_profit_within_budget": float(
            inside.expected_incremental_profit.sum()), "expected_cost_within_budget": float(inside.expected_cost.sum()),
        "margin": offer_settings.margin, "budget": str(offer_settings.budget), "feature_mode": meta["feature_mode"],
        "preview": _md(offered.sort_values("priority_rank")[["customer_id", "recommended_arm", "predicted_uplift",
                                                           "expected_incremental_profit", "reason"]], 8)})


@dg.asset_check(asset=offer_recommendations, name="offers_within_budget",
                description="The offers marked within budget cost no more than offers.budget and number no more "
                            "than offers.max_offers.")
def offers_within_budget(warehouse: WarehouseResource, settings: CipSettings) -> dg.AssetCheckResult:
    s = OfferSettings.from_config(settings.config().raw)
    with warehouse.get_connection() as con:
        if not table_exists(con, "ml", "offer_recommendations"):
            return dg.AssetCheckResult(passed=True, metadata={"reason": "no recommendations were written"})
        n, cost, no_offer_in = con.execute(
            "SELECT count(*) FILTER (WHERE within_budget), coalesce(sum(expected_cost) FILTER (WHERE within_budget), "
            "0), count(*) FILTER (WHERE within_budget AND recommended_arm = 'no_offer') FROM ml.offer_recommendations"
        ).fetchone()
    passed = (s.budget is None or cost <= s.budget + 1e-6) and (s.max_offers is None or n <= s.max_offers) \
        and no_offer_in == 0
    return dg.AssetCheckResult(passed=bool(passed), metadata={"offers": int(n), "expected_cost": float(cost),
                                                              "budget": str(s.budget), "max_offers": str(s.max_offers)})


@dg.asset(key=["marts", "price_sensitivity"], group_name=GROUP, deps=[PRICE_SUMS, CUSTOMER_RFM],
          kinds={"duckdb"}, owners=OWNERS)
def price_sensitivity(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Observational price sensitivity per RFM segment and category: log-log price elasticity of quantity, the
    quantity change per 10 discount points and the 90-day repeat rate on discount vs full price, each with a
    95% interval. Associations, not causal effects (the `note` column says so)."""
    with warehouse.get_connection() as con:
        table, used = price_sensitivity_table(con)
        write_table(con, tables.PRICE_SENSITIVITY, table)  # empty when too little: readers find the table
    if not len(table):
        return skipped(context, "fewer than 30 completed lines", **{"dagster/row_count": 0})
    overall = table[(table.segment == "all customers")]
    return dg.MaterializeResult(metadata={"dagster/row_count": len(table), "segments_from": used, "by_category": _md(
        overall[["category", "elasticity", "ci_low", "ci_high", "n_lines", "repeat_rate_diff"]], 20)})


@dg.asset(key=["ml", "campaign_readout"], group_name=GROUP, deps=[CAMPAIGNS], kinds={"duckdb"}, owners=OWNERS)
def campaign_readout(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     settings: CipSettings) -> dg.MaterializeResult:
    """Every campaign's arms read as a finished A/B test against control: response rates, difference with a 95%
    interval, relative lift, two-proportion z-test p-value, the effect the test could detect, and a peeking
    warning (`experiments.planned_n_per_arm` / `experiments.looks` per campaign in cip.yaml)."""
    section = settings.config().raw.get("experiments") or {}
    found = _campaigns(warehouse)
    if found is None:
        return skipped(context, NO_CAMPAIGN)
    with warehouse.get_connection() as con:
        table = cmp.readouts(con, found.campaign_id, section.get("planned_n_per_arm") or {},
                             section.get("looks") or {}).reindex(columns=list(tables.CAMPAIGN_READOUT.columns))
        write_table(con, tables.CAMPAIGN_READOUT, table)
    return dg.MaterializeResult(metadata={"dagster/row_count": len(table), "readout": _md(table[[
        "campaign_id", "arm", "outcome", "rate_control", "rate_treated", "difference", "ci_low", "ci_high",
        "p_value"]], 20)})


@dg.asset(key=["ml", "campaign_roi"], group_name=GROUP, deps=[CAMPAIGNS, ORDER_LINES, CUSTOMERS], kinds={"duckdb"},
          owners=OWNERS)
def campaign_roi(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 settings: CipSettings) -> dg.MaterializeResult:
    """What sending each arm to today's customers would earn, per recency segment (recency at exposure in the
    campaign, today's count of customers in the same band): incremental conversions, revenue, cost, profit,
    each with a 90% interval from Beta posterior draws, and the probability of a profit."""
    offer_settings = OfferSettings.from_config(settings.config().raw)
    found = _campaigns(warehouse)
    if found is None:
        return skipped(context, NO_CAMPAIGN)
    with warehouse.get_connection() as con:
        groups = [g for g in (cmp.roi_groups(con, c) for c in found.campaign_id) if g is not None]
    if not groups:
        return skipped(context, "no campaign has a conversion outcome")
    table = roi_table(pd.concat(groups, ignore_index=True), offer_settings.margin, offer_settings.contact_cost)
    with warehouse.get_connection() as con:
        write_table(con, tables.CAMPAIGN_ROI, table)
    return dg.MaterializeResult(metadata={"dagster/row_count": len(table), "margin": offer_settings.margin, "roi": _md(
        table[["campaign_id", "segment", "arm", "n_targeted", "incremental_conversions", "profit", "profit_low",
               "profit_high", "probability_profitable"]], 20)})


pricing_assets = [uplift_model, offer_recommendations, price_sensitivity, campaign_readout, campaign_roi]
pricing_checks = [uplift_beats_baselines, offers_within_budget]
