"""Pricing and retention offers as Dagster assets: uplift models, offer recommendations, price sensitivity,
campaign readouts and campaign ROI. Thin wrappers over the plain modules of this package."""

import tempfile
from datetime import datetime
from pathlib import Path

import dagster as dg
import joblib
import mlflow
import numpy as np
import pandas as pd
from dagster_dbt import get_asset_key_for_model

from cip_assets.marts.assets import cip_dbt_assets
from cip_assets.pricing import campaigns as cmp
from cip_assets.pricing.experiments import read_test, roi_table
from cip_assets.pricing.offers import NO_OFFER, OfferSettings, recommend
from cip_assets.pricing.price_sensitivity import COLUMNS as PRICE_COLUMNS
from cip_assets.pricing.price_sensitivity import price_sensitivity as price_sensitivity_table
from cip_assets.pricing.uplift import best_learner, evaluate_campaign, fit_policy
from cip_assets.serving.privacy import safe_markdown
from cip_resources.config import CipSettings
from cip_resources.mlflow import MlflowResource
from cip_resources.warehouse import WarehouseResource, replace_table

EXPERIMENT = "uplift"
GROUP = "pricing"
OWNERS = ["team:data-science"]
CAMPAIGNS = get_asset_key_for_model([cip_dbt_assets], "stg_campaign_exposures")
ORDER_LINES = get_asset_key_for_model([cip_dbt_assets], "stg_order_lines")
CUSTOMERS = get_asset_key_for_model([cip_dbt_assets], "stg_customers")
STAGING_INPUTS = [get_asset_key_for_model([cip_dbt_assets], m)  # what the churn snapshot features read
                  for m in ("stg_campaign_exposures", "stg_order_lines", "stg_feedback", "stg_events")]
CUSTOMER_RFM = get_asset_key_for_model([cip_dbt_assets], "customer_rfm")
CHURN_SCORES = dg.AssetKey(["ml", "churn_scores"])
CUSTOMER_VALUE = dg.AssetKey(["ml", "customer_value"])

EVALUATION_COLUMNS = ["campaign_id", "learner", "arm", "outcome", "qini_normalised", "auuc", "uplift_at_10",
                      "uplift_at_20", "uplift_at_30", "ate", "ate_low", "ate_high", "ate_p_value", "n_treated",
                      "n_control", "n_test_treated", "n_test_control", "mean_predicted_uplift", "feature_mode",
                      "chosen_for_offers", "mlflow_run_id", "trained_at"]
RECOMMENDATION_COLUMNS = ["customer_id", "recommended_arm", "discount_pct", "predicted_uplift", "base_conversion",
                          "expected_order_value", "expected_incremental_profit", "expected_cost", "churn_probability",
                          "risk_band", "expected_value_12m", "reason", "priority_rank", "within_budget",
                          "campaign_id", "learner", "scored_at"]


def _skip(reason: str) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"skipped": reason})


def _md(frame: pd.DataFrame, rows: int = 12) -> dg.MetadataValue:
    return dg.MetadataValue.md(safe_markdown(frame, rows, "empty", floatfmt=".4f"))  # personal data masked


def _empty_campaigns(warehouse: WarehouseResource) -> pd.DataFrame | None:
    with warehouse.get_connection() as con:
        found = cmp.campaigns(con)
    return found if len(found) else None


@dg.asset(key=["ml", "uplift_model"], group_name=GROUP, deps=STAGING_INPUTS, kinds={"lightgbm", "mlflow"},
          owners=OWNERS)
def uplift_model(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """T-, X-, class-transformation and doubly robust LightGBM uplift learners for every randomised campaign, one
    effect per arm against control, measured on a held-out 30% (normalised Qini, AUUC, uplift in the top
    10/20/30%, average effect with a 95% interval); the best learner on conversion is refit on the newest
    campaign for the offer recommendations (an MLflow run in experiment `uplift`)."""
    found = _empty_campaigns(warehouse)
    if found is None:
        return _skip(f"no campaign with at least {cmp.MIN_ROWS} customers and both a control and a treated group")
    evaluations, curves, policy, policy_campaign = [], [], None, None
    with mlflow_tracking.start_run(EXPERIMENT, context.run_id, "uplift_model") as run:
        for campaign_id in found.campaign_id:
            with warehouse.get_connection() as con:
                frame = cmp.exposures(con, campaign_id)
                X, mode = cmp.campaign_features(con, frame, campaign_id)
            if mode == "none":
                context.log.warning(f"{campaign_id}: no pre-treatment features (no order history, no attributes)")
                continue
            outcomes = {o: frame[o].to_numpy(dtype=float) for o in ("converted", "visited") if frame[o].notna().any()}
            evaluation, curve = evaluate_campaign(X, frame.arm.to_numpy(), outcomes, control="control")
            if not len(evaluation):
                context.log.warning(f"{campaign_id}: too few rows or a single outcome class in every arm")
                continue
            evaluation = evaluation.assign(campaign_id=campaign_id, feature_mode=mode)
            evaluations.append(evaluation)
            curves.append(curve.assign(campaign_id=campaign_id))
            mlflow.log_metrics({f"{campaign_id}.{r.arm}.{r.outcome}.{r.learner}.{m}"
                                .replace(" ", "_").replace("%", "pct"): float(getattr(r, m))
                                for r in evaluation.itertuples() for m in ("qini_normalised", "uplift_at_30")
                                if np.isfinite(getattr(r, m))})
            if policy is None and "converted" in outcomes and frame.converted.notna().all():
                learner = best_learner(evaluation, "converted")
                policy = fit_policy(X, frame.arm.to_numpy(), frame.converted.to_numpy(), "control",
                                    cmp.arm_discounts(frame), learner=learner)
                policy.meta.update({"campaign_id": campaign_id, "feature_mode": mode,
                                    "order_value": cmp.campaign_order_value(frame),
                                    "control_arm": frame.attrs.get("control_arm")})
                mlflow.log_metrics({f"policy.{a}.{name}".replace(" ", "_"): float(v)
                                    for a, (ate, beta, _) in policy.calibration.items()
                                    for name, v in (("ate_shrunk", ate), ("beta", beta))})
                policy_campaign = campaign_id
        if not evaluations:
            return _skip("no campaign could be evaluated (see the run log)")
        mlflow.log_params({"campaigns": ",".join(map(str, found.campaign_id)), "test_size": 0.3,
                           "policy_campaign": policy_campaign, "policy_learner": policy.learner if policy else None})
        if policy is not None:
            with tempfile.TemporaryDirectory() as tmp:
                joblib.dump(policy, Path(tmp) / "policy.joblib")
                mlflow.log_artifact(str(Path(tmp) / "policy.joblib"))
    evaluation = pd.concat(evaluations, ignore_index=True)
    evaluation["chosen_for_offers"] = (evaluation.campaign_id == policy_campaign) & (
        evaluation.learner == (policy.learner if policy else None)) & (evaluation.outcome == "converted")
    evaluation["mlflow_run_id"] = run.info.run_id
    evaluation["trained_at"] = datetime.now()
    with warehouse.get_connection() as con:
        replace_table(con, "ml", "uplift_evaluation", evaluation[EVALUATION_COLUMNS])
        replace_table(con, "ml", "uplift_qini_curve", pd.concat(curves, ignore_index=True))
    summary = evaluation[["campaign_id", "arm", "outcome", "learner", "qini_normalised", "uplift_at_30", "ate",
                          "ate_low", "ate_high"]]
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(evaluation), "mlflow_run_id": run.info.run_id, "evaluation": _md(summary, 40),
        "policy_campaign": str(policy_campaign), "policy_learner": policy.learner if policy else "none"})


def _load_policy(mlflow_tracking: MlflowResource, run_id: str):
    mlflow_tracking.client()
    return joblib.load(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="policy.joblib"))


@dg.asset(key=["ml", "offer_recommendations"], group_name=GROUP, deps=[uplift_model, CHURN_SCORES, CUSTOMER_VALUE, *STAGING_INPUTS, CUSTOMERS],
          kinds={"lightgbm", "duckdb"}, owners=OWNERS)
def offer_recommendations(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: CipSettings,
                          mlflow_tracking: MlflowResource) -> dg.MaterializeResult:
    """Per customer, the arm (no offer or a discount level) with the highest expected incremental profit
    (predicted uplift x order value x margin, less the discount on orders that would have happened anyway),
    with churn risk and 12-month value, a reason in words and a budget-constrained priority (`offers:` in
    cip.yaml: margin, budget, max_offers, contact_cost)."""
    offer_settings = OfferSettings.from_config(settings.config().raw)
    with warehouse.get_connection() as con:
        has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ml' "
                          "AND table_name = 'uplift_evaluation'").fetchone()[0]
        run_id = con.execute("SELECT any_value(mlflow_run_id) FROM ml.uplift_evaluation WHERE chosen_for_offers"
                             ).fetchone()[0] if has else None
    if run_id is None:
        return _skip("no uplift model has been trained")
    policy = _load_policy(mlflow_tracking, run_id)
    campaign_id, mode = policy.meta["campaign_id"], policy.meta["feature_mode"]
    with warehouse.get_connection() as con:
        customers, X = cmp.scoring_population(con, mode, campaign_id)
        if not len(customers):
            return _skip("no customers to score")
        customers = cmp.join_scores(con, customers)
    fallback = policy.meta.get("order_value")
    if not np.isfinite(fallback or np.nan):
        known = customers.expected_order_value.dropna()
        fallback = float(known.median()) if len(known) else 1.0
    customers["expected_order_value"] = customers.expected_order_value.fillna(fallback).clip(lower=0)
    base, uplift = policy.predict(X)
    rec = recommend(customers, base, uplift, policy.discount_pct, offer_settings)
    rec["campaign_id"], rec["learner"], rec["scored_at"] = campaign_id, policy.learner, datetime.now()
    rec = rec[RECOMMENDATION_COLUMNS]
    with warehouse.get_connection() as con:
        replace_table(con, "ml", "offer_recommendations", rec)
    arms = rec.recommended_arm.value_counts().to_dict()
    offered = rec[rec.recommended_arm != NO_OFFER]
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(rec), "arms": dg.MetadataValue.json({k: int(v) for k, v in arms.items()}),
        "offers_within_budget": int(rec.within_budget.sum()),
        "expected_profit_within_budget": float(rec.loc[rec.within_budget, "expected_incremental_profit"].sum()),
        "expected_cost_within_budget": float(rec.loc[rec.within_budget, "expected_cost"].sum()),
        "margin": offer_settings.margin, "budget": str(offer_settings.budget), "learner": policy.learner,
        "campaign_id": str(campaign_id), "feature_mode": mode,
        "preview": _md(offered.sort_values("priority_rank")[["customer_id", "recommended_arm", "predicted_uplift",
                                                           "expected_incremental_profit", "reason"]], 8)})


@dg.asset(key=["marts", "price_sensitivity"], group_name=GROUP, deps=[ORDER_LINES, CUSTOMER_RFM],
          kinds={"duckdb"}, owners=OWNERS)
def price_sensitivity(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Observational price sensitivity per RFM segment and category: log-log price elasticity of quantity, the
    quantity change per 10 discount points and the 90-day repeat rate on discount vs full price, each with a
    95% interval. Associations, not causal effects (the `note` column says so)."""
    with warehouse.get_connection() as con:
        table, used = price_sensitivity_table(con)
        replace_table(con, "marts", "price_sensitivity", table if len(table) else pd.DataFrame(
            {c: pd.Series(dtype="object" if c in ("segment", "category", "note") else "float64")
             for c in PRICE_COLUMNS}))
    if not len(table):
        return dg.MaterializeResult(metadata={"dagster/row_count": 0, "skipped": "fewer than 30 completed lines"})
    overall = table[(table.segment == "all customers")]
    return dg.MaterializeResult(metadata={"dagster/row_count": len(table), "segments_from": used,
                                          "by_category": _md(overall[["category", "elasticity", "ci_low", "ci_high",
                                                                      "n_lines", "repeat_rate_diff"]], 20)})


def _readout_rows(frame: pd.DataFrame, campaign_id: str, planned: dict, looks: dict) -> list[dict]:
    rows = []
    grouped = frame.groupby("arm").agg(**{f"{o}_{s}": (o, s) for o in ("converted", "visited")
                                          for s in ("sum", "count")})
    if "control" not in grouped.index:
        return rows
    ctrl = grouped.loc["control"]
    for arm in grouped.index.drop("control"):
        t = grouped.loc[arm]
        for outcome in ("converted", "visited"):
            if ctrl[f"{outcome}_count"] == 0 or t[f"{outcome}_count"] == 0:
                continue
            r = read_test(int(ctrl[f"{outcome}_sum"]), int(ctrl[f"{outcome}_count"]), int(t[f"{outcome}_sum"]),
                          int(t[f"{outcome}_count"]), planned_n_per_arm=planned.get(campaign_id),
                          looks=int(looks.get(campaign_id, 1)))
            warning = r.warning or ("no planned size recorded (experiments.planned_n_per_arm in cip.yaml): if the "
                                    "test was read repeatedly before it ended, this p-value is optimistic")
            rows.append({"campaign_id": campaign_id, "arm": arm, "outcome": outcome, **r.as_dict(),
                         "warning": warning})
    return rows


@dg.asset(key=["ml", "campaign_readout"], group_name=GROUP, deps=[CAMPAIGNS], kinds={"duckdb"}, owners=OWNERS)
def campaign_readout(warehouse: WarehouseResource, settings: CipSettings) -> dg.MaterializeResult:
    """Every campaign's arms read as a finished A/B test against control: response rates, difference with a 95%
    interval, relative lift, two-proportion z-test p-value, the effect the test could detect, and a peeking
    warning (`experiments.planned_n_per_arm` / `experiments.looks` per campaign in cip.yaml)."""
    section = settings.config().raw.get("experiments") or {}
    planned, looks = section.get("planned_n_per_arm") or {}, section.get("looks") or {}
    found = _empty_campaigns(warehouse)
    if found is None:
        return _skip(f"no campaign with at least {cmp.MIN_ROWS} customers and both a control and a treated group")
    rows = []
    for campaign_id in found.campaign_id:
        with warehouse.get_connection() as con:
            frame = cmp.exposures(con, campaign_id)
        rows += _readout_rows(frame, campaign_id, planned, looks)
    table = pd.DataFrame(rows)
    with warehouse.get_connection() as con:
        replace_table(con, "ml", "campaign_readout", table)
    return dg.MaterializeResult(metadata={"dagster/row_count": len(table), "readout": _md(table[[
        "campaign_id", "arm", "outcome", "rate_control", "rate_treated", "difference", "ci_low", "ci_high",
        "p_value"]], 20)})


@dg.asset(key=["ml", "campaign_roi"], group_name=GROUP, deps=[CAMPAIGNS, ORDER_LINES, CUSTOMERS], kinds={"duckdb"},
          owners=OWNERS)
def campaign_roi(warehouse: WarehouseResource, settings: CipSettings) -> dg.MaterializeResult:
    """What sending each arm to today's customers would earn, per recency segment (recency at exposure in the
    campaign, today's count of customers in the same band): incremental conversions, revenue, cost, profit,
    each with a 90% interval from Beta posterior draws, and the probability of a profit."""
    offer_settings = OfferSettings.from_config(settings.config().raw)
    found = _empty_campaigns(warehouse)
    if found is None:
        return _skip(f"no campaign with at least {cmp.MIN_ROWS} customers and both a control and a treated group")
    groups = []
    for campaign_id in found.campaign_id:
        with warehouse.get_connection() as con:
            frame, today = cmp.exposures_by_recency(con, campaign_id)
        frame = frame[frame.converted.notna()]
        if not len(frame) or not frame.is_control.any():
            continue
        frame["arm"] = np.where(frame.is_control, "control", frame.arm.astype(str))
        value = cmp.campaign_order_value(frame)
        stats = frame.groupby(["segment", "arm"]).agg(conv=("converted", "sum"), n=("converted", "size"),
                                                       discount_pct=("discount_pct", "median")).reset_index()
        ctrl = stats[stats.arm == "control"].rename(columns={"conv": "conv_control", "n": "n_control"})
        treated = stats[stats.arm != "control"].rename(columns={"conv": "conv_treated", "n": "n_treated"})
        g = treated.merge(ctrl[["segment", "conv_control", "n_control"]], on="segment").merge(
            today, on="segment", how="left")
        g["n_targeted_source"] = np.where(g.n_today.fillna(0) > 0, "customers in this band today",
                                          "campaign customers in this band")
        g["n_targeted"] = np.where(g.n_today.fillna(0) > 0, g.n_today.fillna(0), g.n_control + g.n_treated)
        g["order_value"] = value if np.isfinite(value) else 1.0
        g["order_value_source"] = "campaign spend" if np.isfinite(value) else "none: money per unit of order value"
        g["discount_pct"] = g.discount_pct.fillna(0.0)
        g["campaign_id"] = campaign_id
        groups.append(g.drop(columns=["n_today"]))
    if not groups:
        return _skip("no campaign has a conversion outcome")
    table = roi_table(pd.concat(groups, ignore_index=True), offer_settings.margin, offer_settings.contact_cost)
    with warehouse.get_connection() as con:
        replace_table(con, "ml", "campaign_roi", table)
    return dg.MaterializeResult(metadata={"dagster/row_count": len(table), "margin": offer_settings.margin, "roi": _md(
        table[["campaign_id", "segment", "arm", "n_targeted", "incremental_conversions", "profit", "profit_low",
               "profit_high", "probability_profitable"]], 20)})


@dg.asset_check(asset=uplift_model, name="uplift_beats_random",
                description="The learner chosen for offers ranks customers better than random on the held-out "
                            "split (mean normalised Qini on conversion above 0).")
def uplift_beats_random(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ml' "
                          "AND table_name = 'uplift_evaluation'").fetchone()[0]
        rows = con.execute("SELECT arm, qini_normalised FROM ml.uplift_evaluation WHERE chosen_for_offers "
                           "AND outcome = 'converted'").df() if has else pd.DataFrame()
    if not len(rows):
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"reason": "no uplift model was trained (see the asset's metadata)"})
    mean = float(rows.qini_normalised.mean())
    return dg.AssetCheckResult(passed=mean > 0, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"mean_qini_normalised": mean, "arms": _md(rows)})


@dg.asset_check(asset=offer_recommendations, name="offers_within_budget",
                description="The offers marked within budget cost no more than offers.budget and number no more "
                            "than offers.max_offers.")
def offers_within_budget(warehouse: WarehouseResource, settings: CipSettings) -> dg.AssetCheckResult:
    s = OfferSettings.from_config(settings.config().raw)
    with warehouse.get_connection() as con:
        has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ml' "
                          "AND table_name = 'offer_recommendations'").fetchone()[0]
        if not has:
            return dg.AssetCheckResult(passed=True, metadata={"reason": "no recommendations were written"})
        n, cost, no_offer_in = con.execute(
            "SELECT count(*) FILTER (WHERE within_budget), "
            "coalesce(sum(expected_cost) FILTER (WHERE within_budget), 0), "
            "count(*) FILTER (WHERE within_budget AND recommended_arm = 'no_offer') "
            "FROM ml.offer_recommendations").fetchone()
    passed = (s.budget is None or cost <= s.budget + 1e-6) and (s.max_offers is None or n <= s.max_offers) \
        and no_offer_in == 0
    return dg.AssetCheckResult(passed=bool(passed), metadata={"offers": int(n), "expected_cost": float(cost),
                                                              "budget": str(s.budget), "max_offers": str(s.max_offers)})


pricing_assets = [uplift_model, offer_recommendations, price_sensitivity, campaign_readout, campaign_roi]
pricing_checks = [uplift_beats_random, offers_within_budget]
