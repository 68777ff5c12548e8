"""Pricing: experiment formulas, uplift learners on a planted effect, the offer policy, and the assets."""

import math

import dagster as dg
import duckdb
import mlflow
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportions_ztest

from cip_assets.pricing.experiments import design, read_test, sample_size_per_arm, simulate_roi
from cip_assets.pricing.offers import NO_OFFER, OfferSettings, policy_value, profit_matrix, recommend
from cip_assets.pricing.uplift import (LEARNERS, UpliftLearner, blp_calibration, dose_response_shrinkage,
                                      evaluate_campaign, uplift_metrics)


# --- experiments --------------------------------------------------------------------------------
def test_sample_size_matches_the_textbook_case():
    # Fleiss (pooled under H0, unpooled under H1), no continuity correction: 3,841 per arm
    assert sample_size_per_arm(0.10, 0.12, alpha=0.05, power=0.8) == 3841
    # by hand: (1.959964*sqrt(2*.11*.89) + 0.841621*sqrt(.09+.1056))^2 / .02^2 = 3840.9
    by_hand = (1.959964 * math.sqrt(2 * 0.11 * 0.89) + 0.841621 * math.sqrt(0.09 + 0.1056)) ** 2 / 0.02 ** 2
    assert abs(by_hand - 3840.9) < 0.1
    assert sample_size_per_arm(0.12, 0.10) == 3841  # symmetric
    assert sample_size_per_arm(0.10, 0.14) < sample_size_per_arm(0.10, 0.12)  # a bigger effect needs fewer
    plan = design(0.10, 0.02, daily_traffic=1000)
    assert plan["n_per_arm"] == 3841 and plan["days"] == math.ceil(2 * 3841 / 1000)
    assert design(0.10, 0.02, arms=3)["n_per_arm"] > 3841  # Bonferroni over two comparisons


def test_readout_of_a_known_two_proportion_case():
    r = read_test(200, 1000, 250, 1000)
    assert r.difference == pytest.approx(0.05)
    se = math.sqrt(0.2 * 0.8 / 1000 + 0.25 * 0.75 / 1000)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.05 - 1.959964 * se, 0.05 + 1.959964 * se), abs=1e-6)
    z, p = proportions_ztest([250, 200], [1000, 1000])  # statsmodels, pooled z-test
    assert r.z == pytest.approx(z) and r.p_value == pytest.approx(p) and r.p_value == pytest.approx(0.00742, abs=1e-5)
    assert r.significant and r.warning == ""
    early = read_test(20, 100, 32, 100, planned_n_per_arm=1000)
    assert "peeking" in early.warning and "10%" in early.warning and early.p_value < 0.1
    assert "not met" in early.warning  # p ~ 0.07 is far from the O'Brien-Fleming boundary at 10% information
    assert "looked at 5 times" in read_test(200, 1000, 250, 1000, looks=5).warning


def test_roi_simulation_is_centred_on_the_plug_in_value():
    sim = simulate_roi(10_000, 1000, 10_000, 1300, 10_000, order_value=50, margin=0.4, discount_pct=10, draws=4000)
    plug_in = 10_000 * 0.03 * 50 * (0.4 - 0.1) - 10_000 * 0.10 * 50 * 0.1
    assert sim["profit"] == pytest.approx(plug_in, rel=0.05)
    assert sim["profit_low"] < plug_in < sim["profit_high"]
    assert sim["incremental_conversions"] == pytest.approx(300, rel=0.05)
    assert 0 < sim["probability_profitable"] < 1


# --- uplift learners ----------------------------------------------------------------------------
def planted(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """A randomised test whose effect is +20 pts for x0 > 0.5 and 0 otherwise (two arms: 'offer' / 'control')."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n, 4)), columns=["x0", "x1", "x2", "x3"])
    X["channel"] = pd.Categorical(rng.choice(["web", "phone"], n))
    treated = rng.random(n) < 0.4  # unequal groups on purpose
    tau = np.where(X.x0 > 0.5, 0.2, 0.0)
    p = 0.2 + 0.2 * X.x1 + treated * tau
    y = (rng.random(n) < p).astype(int)
    return X, treated, y, tau


@pytest.mark.parametrize("name", LEARNERS)
def test_every_learner_recovers_a_planted_effect(name):
    X, t, y, _ = planted(6000, 1)
    Xt, tt, yt, tau = planted(4000, 2)
    pred = UpliftLearner(name).fit(X, t, y).predict(Xt)
    assert np.corrcoef(pred, tau)[0, 1] > 0.5
    assert pred[tau > 0].mean() - pred[tau == 0].mean() > 0.08
    model = uplift_metrics(yt, pred, tt)["qini_normalised"]
    random = uplift_metrics(yt, np.random.default_rng(0).random(len(yt)), tt)["qini_normalised"]
    assert model > 0.025 and model > random + 0.015  # normalised Qini: the perfect ordering here scores 0.072


def test_calibration_keeps_real_spread_and_shrinks_noise():
    X, t, y, tau = planted(6000, 1)
    ate, beta = blp_calibration(X, t, y, "t_learner")
    assert ate == pytest.approx(tau.mean(), abs=0.03) and beta > 0.5
    flat = (np.random.default_rng(9).random(len(y)) < 0.3 + 0.05 * t).astype(int)  # the same effect for everyone
    ate, beta = blp_calibration(X, t, flat, "t_learner")
    assert ate == pytest.approx(0.05, abs=0.03) and beta < 0.5


def test_dose_response_shrinkage_pulls_a_lucky_arm_toward_the_line():
    discounts = {"d5": 5.0, "d10": 10.0, "d20": 20.0, "email": 0.0}
    se = {"d5": 0.01, "d10": 0.01, "d20": 0.01, "email": 0.01}
    lucky = dose_response_shrinkage({"d5": 0.04, "d10": 0.036, "d20": 0.07, "email": 0.02}, se, discounts)
    assert 0.018 < lucky["d5"] < 0.03  # +4 pts at 5% off is mostly noise when 10% off gives +3.6
    assert lucky["d20"] == pytest.approx(0.07, abs=0.01) and lucky["email"] == 0.02  # no discount: unchanged
    # arms that really differ from the line keep their own estimates
    real = dose_response_shrinkage({"d5": 0.10, "d10": 0.01, "d20": 0.05}, {"d5": 0.002, "d10": 0.002, "d20": 0.002},
                                   discounts)
    assert real["d5"] == pytest.approx(0.10, abs=0.005) and real["d10"] == pytest.approx(0.01, abs=0.005)
    assert dose_response_shrinkage({"d5": 0.04}, {"d5": 0.01}, discounts) == {"d5": 0.04}


def test_evaluate_campaign_gives_one_row_per_learner_arm_and_outcome():
    X, t, y, _ = planted(3000, 3)
    arm = np.where(t, "offer", "control")
    arm[np.random.default_rng(0).random(len(arm)) < 0.2] = "other"  # a third arm with no effect
    evaluation, curve = evaluate_campaign(X, arm, {"converted": y, "visited": y}, control="control")
    assert len(evaluation) == len(LEARNERS) * 2 * 2
    offer = evaluation[(evaluation.arm == "offer") & (evaluation.outcome == "converted")]
    assert (offer.ate_low < offer.ate) .all() and (offer.ate < offer.ate_high).all()
    assert (offer.qini_normalised > 0.01).all()
    assert set(curve.share_targeted.round(2)) >= {0.0, 0.5, 1.0}


# --- offers -------------------------------------------------------------------------------------
def test_recommendations_respect_the_budget_and_skip_offers_when_margin_is_thin():
    n = 500
    rng = np.random.default_rng(4)
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "expected_order_value": 50.0,
                              "churn_probability": rng.random(n), "risk_band": "medium"})
    base = rng.uniform(0.05, 0.6, n)
    uplift = pd.DataFrame({"discount_10": rng.uniform(-0.02, 0.12, n), "discount_20": rng.uniform(-0.02, 0.2, n)})
    discounts = {"discount_10": 10.0, "discount_20": 20.0}
    settings = OfferSettings(margin=0.5, budget=200.0, max_offers=120)
    rec = recommend(customers, base, uplift, discounts, settings)
    assert len(rec) == n and rec.customer_id.is_unique
    offered = rec[rec.recommended_arm != NO_OFFER]
    assert (offered.expected_incremental_profit > 0).all() and len(offered) > 50
    # the chosen arm is the argmax of the profit matrix
    profits = profit_matrix(base, uplift, np.full(n, 50.0), discounts, 0.5)
    best = profits.max(axis=1).to_numpy()
    assert np.allclose(rec.expected_incremental_profit, np.where(best > 0, best, 0))
    # ranking: by profit, and the budget holds for the prefix marked within budget
    inside = rec[rec.within_budget]
    assert inside.expected_cost.sum() <= 200 + 1e-9 and len(inside) <= 120 and len(inside) > 0
    assert inside.priority_rank.max() < offered[~offered.within_budget].priority_rank.min()
    ranked = offered.sort_values("priority_rank")
    assert ranked.expected_incremental_profit.is_monotonic_decreasing
    assert rec.reason.str.len().min() > 10 and rec.loc[rec.within_budget, "reason"].str.contains("discount_").all()
    assert rec.loc[rec.recommended_arm == NO_OFFER, "priority_rank"].isna().all()

    # a 15% margin cannot pay for a 20% discount, and barely for 10%: most customers get no offer
    thin = recommend(customers, base, uplift, discounts, OfferSettings(margin=0.15))
    assert (thin.recommended_arm != "discount_20").all()
    assert (thin.recommended_arm == NO_OFFER).mean() > 0.6
    none_pays = recommend(customers, base, uplift, discounts, OfferSettings(margin=0.05))
    assert (none_pays.recommended_arm == NO_OFFER).all() and not none_pays.within_budget.any()
    assert none_pays.reason.str.contains("buy anyway|no offer pays").all()
    # with the truth as the prediction, the policy is the oracle: nothing beats it
    assert policy_value(profits, rec.recommended_arm) >= policy_value(profits, np.full(n, "discount_10")) - 1e-9


def test_offer_settings_from_config():
    s = OfferSettings.from_config({"offers": {"margin": 0.3, "budget": 5000, "max_offers": 100}})
    assert (s.margin, s.budget, s.max_offers) == (0.3, 5000.0, 100)
    assert OfferSettings.from_config({}) == OfferSettings()
    with pytest.raises(ValueError):
        OfferSettings.from_config({"offers": {"margin": 40}})


def test_the_offer_policy_pyfunc_with_text_covariates_round_trips_through_the_registry(cip_home):
    """Attribute-mode campaigns have text covariates (pandas categories): the registered policy takes them as
    text, with any column missing, and gives what the policy object gives; held-out profit is IPW."""
    from cip_assets.pricing.policy import (OfferPolicyPyfunc, example_input, held_out_profit, policy_input,
                                           settings_params)
    from cip_assets.pricing.uplift import fit_policy
    from cip_resources.mlflow import MlflowResource

    X, t, y, _ = planted(3000, 5)
    arm = np.where(t, "offer", "control")
    policy = fit_policy(X, arm, y, "control", {"offer": 10.0}, calibrate=False)
    python_model = OfferPolicyPyfunc("model", policy, {"campaign_id": "c1", "feature_mode": "attributes",
                                                       "order_value": 50.0})
    settings = OfferSettings(margin=0.5, budget=500.0)
    lifecycle = MlflowResource(cip_home=str(cip_home)).lifecycle("cip_offer_policy_test", "profit")
    with mlflow.start_run():
        version = lifecycle.register(python_model, "model", "model", {"model": 1.0},
                                     input_example=(example_input(X, 50.0), settings_params(settings)))
    loaded = lifecycle.load(version)
    Xt, _, _, _ = planted(500, 6)
    Xt.loc[:9, "channel"] = None  # missing text and numbers are fine
    Xt.loc[:4, "x3"] = np.nan
    frame = policy_input(Xt, pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(Xt))],
                                           "expected_order_value": 50.0}))
    direct = python_model.predict(None, frame, settings_params(settings))
    through = loaded.predict(frame, params=settings_params(settings))
    pd.testing.assert_frame_equal(through, direct)
    assert set(through.recommended_arm) <= {"offer", NO_OFFER} and through.campaign_id.eq("c1").all()
    assert through.loc[through.within_budget, "expected_cost"].sum() <= 500 + 1e-9
    # IPW: a policy that offers everyone earns the offer arm's mean reward minus control's, per customer
    d = 0.1
    everyone = held_out_profit(np.full(len(arm), "offer"), arm, y, {"offer": 10.0}, 50.0, settings)
    by_hand = y[t].mean() * 50 * (0.5 - d) - y[~t].mean() * 50 * 0.5
    assert everyone == pytest.approx(by_hand)
    assert held_out_profit(np.full(len(arm), NO_OFFER), arm, y, {"offer": 10.0}, 50.0, settings) == 0


# --- the assets on a small synthetic warehouse ---------------------------------------------------
@pytest.fixture
def pricing_warehouse(cip_home, tmp_path):
    """3,000 synthetic customers ingested, the staging views, the RFM mart and the price sums built, a few churn
    scores."""
    import shutil
    import subprocess

    from cip_assets.ingest.pipeline import ingest_table
    from cip_resources.dbt import DBT_PROJECT_DIR
    from cip_resources.settings import CipConfig, SourceConfig, paths
    from cip_resources.warehouse import connect

    source = SourceConfig(name="synthetic", adapter="synthetic", path=None,
                          options={"customers": 3000, "seed": 7, "events": False})
    config = CipConfig(sources=(source,))
    con = connect(cip_home / "warehouse.duckdb")
    for table in ("customers", "order_lines", "events", "feedback", "campaign_exposures"):
        ingest_table(con, config, table, paths())
    con.close()
    result = subprocess.run([shutil.which("dbt"), "build", "--select", "staging", "+customer_rfm",
                             "+int_customer_category_prices", "--exclude-resource-type", "test",
                             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                             "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    con = connect(cip_home / "warehouse.duckdb")
    con.execute("CREATE SCHEMA IF NOT EXISTS ml")
    con.execute("""CREATE TABLE ml.churn_scores AS SELECT customer_id, 0.7 AS churn_probability, 'high' AS risk_band
                   FROM (SELECT DISTINCT customer_id FROM raw.order_lines WHERE customer_id IS NOT NULL
                         ORDER BY customer_id LIMIT 100)""")
    con.close()
    return cip_home / "warehouse.duckdb"


def test_pricing_assets_materialize_on_synthetic_data(pricing_warehouse, cip_home, tmp_path, monkeypatch):
    from cip_assets.pricing.assets import pricing_assets, pricing_checks
    from cip_resources.config import CipSettings
    from cip_resources.mlflow import MlflowResource
    from cip_resources.warehouse import WarehouseResource
    from tests.conftest import write_config

    config = write_config(tmp_path / "config", [{"name": "synthetic", "adapter": "synthetic", "customers": 3000}],
                          offers={"margin": 0.5, "budget": 300, "max_offers": 50},
                          experiments={"planned_n_per_arm": {"CAMP-2024-RETENTION": 100_000}})
    resources = {"warehouse": WarehouseResource(database=str(pricing_warehouse)),
                 "settings": CipSettings(config_path=str(config)),
                 "mlflow_tracking": MlflowResource(cip_home=str(cip_home))}
    result = dg.materialize([*pricing_assets, *pricing_checks], resources=resources)
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["offers_within_budget"]
    with duckdb.connect(str(pricing_warehouse), read_only=True) as con:
        evaluation = con.execute("SELECT * FROM ml.uplift_evaluation").df()
        rec = con.execute("SELECT * FROM ml.offer_recommendations").df()
        active = con.execute("SELECT count(*) FROM marts.customer_rfm").fetchone()[0]
        price = con.execute("SELECT * FROM marts.price_sensitivity").df()
        readout = con.execute("SELECT * FROM ml.campaign_readout").df()
        roi = con.execute("SELECT * FROM ml.campaign_roi").df()
    assert set(evaluation.learner) == set(LEARNERS)
    assert set(evaluation.arm) == {"discount_5", "discount_10", "discount_20"}
    assert set(evaluation.outcome) == {"converted", "visited"} and evaluation.feature_mode.eq("history").all()
    assert evaluation.chosen_for_offers.sum() == 3  # one learner, three arms, on conversion
    runs = mlflow.search_runs(experiment_names=["uplift"])
    assert len(runs) == 1 and runs["tags.dagster_run_id"].iloc[0] == result.run_id
    # every active customer once, arms from the campaign, the budget and the cap hold
    assert rec.customer_id.is_unique and 0 < len(rec) <= active
    assert set(rec.recommended_arm) <= {"no_offer", "discount_5", "discount_10", "discount_20"}
    assert rec.within_budget.sum() <= 50 and rec.loc[rec.within_budget, "expected_cost"].sum() <= 300
    assert rec.churn_probability.notna().sum() > 0 and rec.reason.notna().all()
    assert price.note.str.contains("not a causal").all() and (price.n_lines >= 30).all()
    assert {"all customers"} <= set(price.segment) and len(price.category.unique()) > 3
    # the cells combine per customer x category sums (int_customer_category_prices): the same slopes as a
    # regression over the lines themselves
    with duckdb.connect(str(pricing_warehouse), read_only=True) as con:
        per_line = con.execute("""SELECT coalesce(category, 'unknown') AS category, count(*) AS lines,
                regr_slope(ln(quantity), ln(unit_price * (1 - coalesce(discount_pct, 0) / 100))) AS slope
            FROM staging.stg_order_lines WHERE line_status = 'completed' AND customer_id IS NOT NULL
              AND quantity > 0 AND unit_price > 0 AND coalesce(discount_pct, 0) < 100 GROUP BY 1""").df()
    by_category = price[price.segment == "all customers"].merge(per_line, on="category")
    assert len(by_category) == (price.segment == "all customers").sum() > 3
    assert (by_category.n_lines == by_category.lines).all()
    assert np.allclose(by_category.elasticity, by_category.slope, rtol=1e-9)
    assert set(readout.arm) == {"discount_5", "discount_10", "discount_20"}
    assert readout.warning.str.contains("peeking").all()  # read far below the planned size
    assert (roi.profit_low <= roi.profit).all() and (roi.profit <= roi.profit_high).all()

    # the offer policy went through the lifecycle: registered, decided, and the only thing the offers came from
    client = MlflowResource(cip_home=str(cip_home)).client()
    champion = client.get_model_version_by_alias("cip_offer_policy", "champion")
    assert champion.tags["method"] in ("model", "treat_everyone", "no_offer")
    assert champion.tags["metric"] == "incremental_profit_per_customer"
    assert set(rec.model_version) == {str(champion.version)}
    with duckdb.connect(str(pricing_warehouse), read_only=True) as con:
        policy = con.execute("SELECT * FROM ml.offer_policy_evaluation").df()
        decision = con.execute("SELECT * FROM ml.model_decisions WHERE model = 'cip_offer_policy'").df()
    assert set(policy.method) == {"model", "treat_everyone", "no_offer"} and policy.registered.sum() == 1
    assert policy.set_index("method").incremental_profit_per_customer["no_offer"] == 0
    assert len(decision) == 1 and decision.promoted.all()
    assert checks["beats_baselines"] == (champion.tags["method"] == "model")

    # the registered pyfunc alone reproduces the stored recommendations
    model = mlflow.pyfunc.load_model(f"models:/cip_offer_policy/{champion.version}")
    stored = rec.set_index("customer_id")
    again = model.predict(_policy_input(pricing_warehouse, model, stored),
                          params={"margin": 0.5, "budget": 300.0, "max_offers": 50})
    again = again.set_index("customer_id").loc[stored.index]
    pd.testing.assert_frame_equal(again, stored[again.columns], check_dtype=False)

    # a candidate that loses keeps the champion; the run succeeds and the champion writes the offers
    from cip_assets.pricing import training

    real = training.policy_scores
    monkeypatch.setattr(training, "policy_scores", lambda *a: {m: v - 1000.0 for m, v in real(*a).items()})
    again = dg.materialize([a for a in pricing_assets if a.key.path[-1] in ("uplift_model", "offer_recommendations")]
                           + list(pricing_checks), resources=resources)
    assert again.success
    check = {c.check_name: c for c in again.get_asset_check_evaluations()}["beats_baselines"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN and "kept" in check.metadata[
        "decision"].value
    assert client.get_model_version_by_alias("cip_offer_policy", "champion").version == champion.version
    with duckdb.connect(str(pricing_warehouse), read_only=True) as con:
        latest = con.execute("SELECT * FROM ml.model_decisions WHERE model = 'cip_offer_policy' "
                             "ORDER BY decided_at DESC LIMIT 1").df().iloc[0]
        rec_after = con.execute("SELECT * FROM ml.offer_recommendations").df()
    assert not latest.promoted and latest.champion_before_score > latest.candidate_score
    assert set(rec_after.model_version) == {str(champion.version)} and len(rec_after) == len(rec)


def _policy_input(warehouse, model, stored: pd.DataFrame) -> pd.DataFrame:
    """The scoring population's features (as the asset reads them) beside the stored pass-through columns."""
    from cip_assets.pricing import campaigns as cmp
    from cip_assets.pricing.policy import policy_input

    meta = model.unwrap_python_model().meta
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customers, X = cmp.scoring_population(con, meta["feature_mode"], meta["campaign_id"])
    X.index = customers.customer_id.to_numpy()
    passed = stored[["expected_order_value", "churn_probability", "risk_band", "expected_value_12m"]]
    return policy_input(X.loc[stored.index], passed.reset_index())


def test_pricing_assets_skip_on_an_empty_warehouse(cip_home):
    from cip_assets.pricing.assets import campaign_readout, campaign_roi, offer_recommendations, uplift_model
    from cip_resources.config import CipSettings
    from cip_resources.mlflow import MlflowResource
    from cip_resources.warehouse import WarehouseResource, connect

    con = connect(cip_home / "warehouse.duckdb")
    con.execute("CREATE SCHEMA staging")
    con.execute("""CREATE TABLE staging.stg_campaign_exposures (campaign_id VARCHAR, customer_id VARCHAR, arm VARCHAR,
                   is_control BOOLEAN, discount_pct DOUBLE, exposed_at TIMESTAMP, visited BOOLEAN, converted BOOLEAN,
                   spend DOUBLE, attributes JSON, source VARCHAR)""")
    con.close()
    resources = {"warehouse": WarehouseResource(database=str(cip_home / "warehouse.duckdb")),
                 "settings": CipSettings(), "mlflow_tracking": MlflowResource(cip_home=str(cip_home))}
    result = dg.materialize([uplift_model, campaign_readout, campaign_roi, offer_recommendations],
                            resources=resources)
    assert result.success
    for event in result.get_asset_materialization_events():
        assert "skipped" in event.materialization.metadata
    skipped = {e.asset_key.path[-1]: e.materialization.metadata["skipped"].value
               for e in result.get_asset_materialization_events()}
    assert "no offer policy has been registered" in skipped["offer_recommendations"]


@pytest.mark.slow
def test_real_campaign_files_through_the_adapter(cip_home, tmp_path):
    """Hillstrom and Cookie Cats ingested by the campaign adapter: no order history, so the uplift model uses
    the files' own covariates (attributes) and the readout reads every arm."""
    import shutil
    import subprocess

    from cip_assets.ingest.pipeline import ingest_table
    from cip_assets.pricing.assets import pricing_assets
    from cip_resources.config import CipSettings
    from cip_resources.dbt import DBT_PROJECT_DIR
    from cip_resources.mlflow import MlflowResource
    from cip_resources.settings import load_config, paths
    from cip_resources.warehouse import WarehouseResource, connect
    from tests.conftest import shared_file, write_config

    config_path = write_config(tmp_path / "config", [
        {"name": "hillstrom", "adapter": "campaign", "path": str(shared_file("hillstrom.csv.gz"))},
        {"name": "cookie_cats", "adapter": "campaign", "path": str(shared_file("cookie_cats.csv.gz")),
         "control_arm": "gate_30",
         "columns": {"customer_id": "userid", "arm": "version", "converted": "retention_7", "visited": "retention_1"}}])
    con = connect(cip_home / "warehouse.duckdb")
    for table in ("customers", "order_lines", "events", "feedback", "campaign_exposures"):
        ingest_table(con, load_config(config_path), table, paths())
    con.close()
    result = subprocess.run([shutil.which("dbt"), "build", "--select", "staging", "+customer_rfm",
                             "+int_customer_category_prices", "--exclude-resource-type", "test", "--project-dir", str(DBT_PROJECT_DIR),
                             "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
                             "--log-path", str(tmp_path / "logs")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    resources = {"warehouse": WarehouseResource(database=str(cip_home / "warehouse.duckdb")),
                 "settings": CipSettings(config_path=str(config_path)),
                 "mlflow_tracking": MlflowResource(cip_home=str(cip_home))}
    assert dg.materialize(pricing_assets, resources=resources).success
    with duckdb.connect(str(cip_home / "warehouse.duckdb"), read_only=True) as con:
        evaluation = con.execute("SELECT * FROM ml.uplift_evaluation").df()
        readout = con.execute("SELECT * FROM ml.campaign_readout").df().set_index(["campaign_id", "arm", "outcome"])
        rec = con.execute("SELECT * FROM ml.offer_recommendations").df()
    assert evaluation.feature_mode.eq("attributes").all()
    visit = evaluation[(evaluation.campaign_id == "hillstrom") & (evaluation.outcome == "visited")]
    assert set(visit.arm) == {"Womens E-Mail", "Mens E-Mail"}
    womens = visit[visit.arm == "Womens E-Mail"].iloc[0]
    assert womens.ate == pytest.approx(0.045, abs=0.002)  # the data README's +4.5 points
    assert (visit.qini_normalised > 0).mean() >= 0.5
    cats = readout.loc[("cookie_cats", "gate_40", "converted")]
    assert cats.difference == pytest.approx(-0.0082, abs=0.0002) and cats.p_value < 0.01
    assert len(rec) > 0 and rec.customer_id.is_unique
    assert set(rec.campaign_id) == {"hillstrom"}  # undated campaigns: the one with spend feeds the offers
    assert set(rec.recommended_arm) <= {"no_offer", "Womens E-Mail", "Mens E-Mail"}
