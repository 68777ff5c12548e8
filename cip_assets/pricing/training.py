"""Train, track and decide the uplift models and the offer policy: the weekly retrain as plain functions (the
`uplift_model` asset only wires them).

Every randomised campaign: each uplift learner, for each arm against control and each outcome, fitted on a
70% training split and measured on the held-out 30% (`uplift.evaluate_campaign`). The newest campaign with
a complete conversion outcome feeds the offer policy: the learner with the best held-out Qini is fitted on
the same training split (calibrated, shrunk: `uplift.fit_policy`) and judged beside treating everyone with
the best average arm and sending nothing, on expected incremental profit per customer on the held-out rows
(`policy.held_out_profit`). The best of the three is registered as `cip_offer_policy`, and the lifecycle
promotes it unless the current champion, re-scored on the same held-out rows, earns more. A champion for
other features or arms than this campaign's cannot be judged on it, and is replaced.

The learner is picked on the same held-out rows its policy is then judged on, so the model's figure is
slightly optimistic next to the baselines'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import mlflow
import numpy as np
import pandas as pd

from cip_assets.pricing import campaigns as cmp
from cip_assets.pricing.offers import OfferSettings
from cip_assets.pricing.policy import (PIP_REQUIREMENTS, AverageEffect, OfferPolicyPyfunc, example_input,
                                       held_out_profit, is_policy_pyfunc, policy_input, settings_params)
from cip_assets.pricing.uplift import best_learner, evaluate_campaign, fit_policy, split
from cip_resources.lifecycle import Decision, ModelLifecycle

EXPERIMENT = "uplift"
REGISTERED_MODEL = "cip_offer_policy"
METRIC = "incremental_profit_per_customer"
TEST_SIZE = 0.3


@dataclass
class PolicyData:
    """The campaign that feeds the offer policy, split as the learners were evaluated."""

    campaign_id: str
    mode: str
    X: pd.DataFrame
    arm: np.ndarray
    converted: np.ndarray
    discounts: dict[str, float]
    order_value: float
    control_arm: str
    learner: str
    train: np.ndarray = field(default=None)
    test: np.ndarray = field(default=None)

    def __post_init__(self):
        self.train, self.test = split(self.arm, TEST_SIZE, 0)

    @property
    def meta(self) -> dict:
        return {"campaign_id": self.campaign_id, "feature_mode": self.mode, "order_value": self.order_value,
                "control_arm": self.control_arm}


@dataclass
class Evaluated:
    evaluation: pd.DataFrame  # uplift_evaluation rows, without run id and time
    curves: pd.DataFrame
    policy: PolicyData | None


def evaluate_campaigns(warehouse, found: pd.DataFrame, log) -> Evaluated | str:
    """Every learner on every campaign (a string says why nothing could be evaluated)."""
    evaluations, curves, policy = [], [], None
    for campaign_id in found.campaign_id:
        with warehouse.get_connection() as con:
            frame = cmp.exposures(con, campaign_id)
            X, mode = cmp.campaign_features(con, frame, campaign_id)
        if mode == "none":
            log.warning(f"{campaign_id}: no pre-treatment features (no order history, no attributes)")
            continue
        outcomes = {o: frame[o].to_numpy(dtype=float) for o in ("converted", "visited") if frame[o].notna().any()}
        evaluation, curve = evaluate_campaign(X, frame.arm.to_numpy(), outcomes, control="control",
                                              test_size=TEST_SIZE)
        if not len(evaluation):
            log.warning(f"{campaign_id}: too few rows or a single outcome class in every arm")
            continue
        evaluations.append(evaluation.assign(campaign_id=campaign_id, feature_mode=mode))
        curves.append(curve.assign(campaign_id=campaign_id))
        if policy is None and "converted" in outcomes and frame.converted.notna().all():
            policy = PolicyData(campaign_id, mode, X, frame.arm.to_numpy().astype(str), frame.converted.to_numpy(),
                                cmp.arm_discounts(frame), cmp.campaign_order_value(frame),
                                frame.attrs.get("control_arm"), best_learner(evaluation, "converted"))
    if not evaluations:
        return "no campaign could be evaluated (see the run log)"
    evaluation = pd.concat(evaluations, ignore_index=True)
    evaluation["chosen_for_offers"] = ((evaluation.campaign_id == (policy.campaign_id if policy else None))
                                       & (evaluation.learner == (policy.learner if policy else None))
                                       & (evaluation.outcome == "converted"))
    return Evaluated(evaluation, pd.concat(curves, ignore_index=True), policy)


def fit_methods(data: PolicyData) -> dict[str, object]:
    """The policy model and the two baselines, all fitted on the training split."""
    X, arm, y = data.X.iloc[data.train].reset_index(drop=True), data.arm[data.train], data.converted[data.train]
    model = fit_policy(X, arm, y, "control", data.discounts, learner=data.learner)
    model.meta.update(data.meta)
    rate = float(y[arm == "control"].mean())
    ate = {a: float(y[arm == a].mean()) - rate for a in sorted(set(arm) - {"control"})}
    return {"model": model, "treat_everyone": AverageEffect("treat_everyone", X, rate, ate, data.discounts),
            "no_offer": AverageEffect("no_offer", X, rate, {}, data.discounts)}


def _held_out(data: PolicyData) -> pd.DataFrame:
    customers = pd.DataFrame({"customer_id": [f"row-{i}" for i in data.test],
                              "expected_order_value": data.order_value if np.isfinite(data.order_value) else 1.0})
    return policy_input(data.X.iloc[data.test], customers)


def judge(predict, data: PolicyData, settings: OfferSettings) -> float:
    """A policy's held-out incremental profit per customer; `predict(frame, params)` gives its offers."""
    offers = predict(_held_out(data), settings_params(settings))
    return held_out_profit(offers.recommended_arm.to_numpy(), data.arm[data.test], data.converted[data.test],
                           data.discounts, data.order_value, settings)


def policy_scores(pyfuncs: dict[str, OfferPolicyPyfunc], data: PolicyData, settings: OfferSettings) -> dict:
    return {name: judge(lambda frame, params, p=p: p.predict(None, frame, params), data, settings)
            for name, p in pyfuncs.items()}


def register_and_decide(lifecycle: ModelLifecycle, tracking, dagster_run_id: str, evaluated: Evaluated,
                        settings: OfferSettings) -> tuple[str, Decision | None, dict[str, float]]:
    """One MLflow run (the learners' held-out figures, the policy's calibration and scores), the best policy
    registered as a self-contained pyfunc, then the lifecycle's decision. Returns (run id, decision, scores)."""
    data, evaluation = evaluated.policy, evaluated.evaluation
    with tracking.start_run(EXPERIMENT, dagster_run_id, "uplift_model") as run:
        mlflow.log_metrics({f"{r.campaign_id}.{r.arm}.{r.outcome}.{r.learner}.{m}".replace(" ", "_")
                            .replace("%", "pct"): float(getattr(r, m)) for r in evaluation.itertuples()
                            for m in ("qini_normalised", "uplift_at_30") if np.isfinite(getattr(r, m))})
        mlflow.log_params({"campaigns": ",".join(map(str, evaluation.campaign_id.unique())), "test_size": TEST_SIZE,
                           "policy_campaign": data.campaign_id if data else None,
                           "policy_learner": data.learner if data else None})
        if data is None:
            return run.info.run_id, None, {}
        pyfuncs = {name: OfferPolicyPyfunc(name, method, data.meta) for name, method in fit_methods(data).items()}
        scores = policy_scores(pyfuncs, data, settings)
        best = lifecycle.best_method(scores)
        mlflow.log_metrics({f"policy.{a}.{name}".replace(" ", "_"): float(v)
                            for a, (ate, beta, _) in pyfuncs["model"].policy.calibration.items()
                            for name, v in (("ate_shrunk", ate), ("beta", beta))})
        mlflow.log_metrics({f"{METRIC}.{name}": value for name, value in scores.items()})
        version = lifecycle.register(
            pyfuncs[best], method=best, trained_method="model", scores=scores,
            input_example=(example_input(data.X.iloc[data.train], data.order_value), settings_params(settings)),
            pip_requirements=PIP_REQUIREMENTS,
            card=f"Campaign {data.campaign_id} ({data.mode} features), learner {data.learner}; params are the "
                 "offers: settings.")
        for key in ("campaign_id", "feature_mode"):
            lifecycle.client.set_model_version_tag(REGISTERED_MODEL, version, key, str(data.meta[key]))

    def rescore(champion) -> float:  # the champion on the same held-out rows, with the same settings
        if not is_policy_pyfunc(champion):
            raise ValueError("registered before the self-contained offer policy")
        policy = champion.unwrap_python_model()
        if policy.features != list(data.X.columns) or not set(policy.arms) <= set(data.arm):
            raise ValueError(f"its features or arms are not campaign {data.campaign_id}'s")
        return judge(lambda frame, params: champion.predict(frame, params=params), data, settings)

    return run.info.run_id, lifecycle.decide(version, scores, "model", rescore), scores


def policy_rows(evaluated: Evaluated, scores: dict[str, float], decision: Decision, run_id: str) -> pd.DataFrame:
    data = evaluated.policy
    return pd.DataFrame([{"trained_at": datetime.now(), "campaign_id": data.campaign_id, "method": method,
                          "learner": data.learner if method == "model" else method,
                          "incremental_profit_per_customer": score, "registered": method == decision.candidate_method,
                          "model_version": decision.candidate_version, "champion_version": decision.champion_version,
                          "mlflow_run_id": run_id} for method, score in scores.items()])
