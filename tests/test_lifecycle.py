"""The model lifecycle on the churn model: a candidate that loses keeps the champion and the run still
publishes scores; a baseline that wins is a legitimate champion that scores; the registered pyfunc alone
reproduces the stored calibrated scores and reasons."""

import duckdb
import mlflow
import numpy as np
import pandas as pd

from cip_assets.churn import training
from cip_assets.churn.features import snapshot
from cip_resources.mlflow import MlflowResource
from tests.test_churn import _materialize

WEAK = ["categories", "events_30d"]  # two features with almost no signal about churn


def _weak(monkeypatch):
    real = training.train_and_evaluate
    monkeypatch.setattr(training, "train_and_evaluate",
                        lambda train, evaluation: real(train, evaluation, features=WEAK))


def _active_customers(con) -> int:
    return con.execute("""SELECT count(DISTINCT customer_id) FROM raw.order_lines
        WHERE status = 'completed' AND customer_id IS NOT NULL AND ordered_at >= (
            SELECT max(ordered_at)::DATE + 1 - INTERVAL 365 DAY FROM raw.order_lines WHERE status = 'completed')
    """).fetchone()[0]


def test_a_losing_candidate_keeps_the_champion_and_scores_are_still_published(synthetic_warehouse, cip_home,
                                                                               monkeypatch):
    good = _materialize(cip_home)
    assert good.success and good.get_asset_check_evaluations()[0].passed
    client = MlflowResource(cip_home=str(cip_home)).client()
    champion = client.get_model_version_by_alias("cip_churn", "champion")
    assert champion.tags["method"] == "model" and champion.tags["baseline"] == "false"

    _weak(monkeypatch)
    weak = _materialize(cip_home)
    assert weak.success  # losing is a warning, never a failed run
    check = weak.get_asset_check_evaluations()[0]
    assert not check.passed and check.severity == dg_warn()
    assert "did not beat" in check.metadata["decision"].value
    assert client.get_model_version_by_alias("cip_churn", "champion").version == champion.version
    with duckdb.connect(str(cip_home / "warehouse.duckdb"), read_only=True) as con:
        decision = con.execute("SELECT * FROM ml.model_decisions ORDER BY decided_at DESC LIMIT 1").df().iloc[0]
        scores = con.execute("SELECT * FROM ml.churn_scores").df()
        active = _active_customers(con)
        frame = snapshot(con, scores.as_of.iloc[0].date(), 1)
    assert not decision.promoted and decision.champion_before_score > decision.candidate_score
    assert len(scores) == scores.customer_id.nunique() == active
    assert set(scores.model_version) == {str(champion.version)}

    # the registered model alone (no calibrator file, no feature list) reproduces the stored scores and reasons
    model = mlflow.pyfunc.load_model(f"models:/cip_churn/{champion.version}")
    frame = frame.set_index("customer_id").loc[scores.customer_id].reset_index()
    out = model.predict(frame)
    assert np.allclose(out.churn_probability.to_numpy(), scores.churn_probability.to_numpy())
    assert list(out.reasons) == list(scores.reasons) and list(out.top_features) == list(scores.top_features)
    assert (scores.reasons.str.len() > 0).mean() > 0.95
    assert (scores[scores.risk_band == "high"].churn_probability >= 0.6).all()
    # reasons are the LightGBM features with the largest positive contributions, in that order
    lgbm = model.unwrap_python_model().method
    contrib = lgbm.model.booster_.predict(frame[lgbm.features], pred_contrib=True)[:, :-1]
    top = np.array(lgbm.features)[np.argsort(-contrib, axis=1, kind="stable")[:, :3]]
    assert [",".join(row) for row in top] == list(scores.top_features)


def test_a_baseline_that_wins_is_the_champion_and_scores(synthetic_warehouse, cip_home, monkeypatch):
    _weak(monkeypatch)
    run = _materialize(cip_home)
    assert run.success and not run.get_asset_check_evaluations()[0].passed
    client = MlflowResource(cip_home=str(cip_home)).client()
    champion = client.get_model_version_by_alias("cip_churn", "champion")
    assert champion.tags["baseline"] == "true" and champion.tags["method"] in ("logreg_rfm", "recency_only")
    assert "Baseline" in champion.description
    with duckdb.connect(str(cip_home / "warehouse.duckdb"), read_only=True) as con:
        scores = con.execute("SELECT * FROM ml.churn_scores").df()
        active = _active_customers(con)
        stored = dict(con.execute("SELECT method, roc_auc FROM ml.churn_model_evaluation").fetchall())
    assert stored[champion.tags["method"]] == max(stored[m] for m in ("model", "logreg_rfm", "recency_only"))
    assert len(scores) == active and scores.churn_probability.between(0, 1).all()
    assert set(scores.risk_band) <= {"high", "medium", "low"}
    # a regression's reasons: its inputs pushing the risk above the average training customer's, phrased
    riskier = scores[scores.churn_probability >= scores.churn_probability.quantile(0.9)]
    assert (riskier.reasons.str.len() > 0).all()
    named = pd.Series(scores.top_features.str.split(",").explode())
    assert named.isin(["recency_days", "frequency", "monetary"]).all()


def dg_warn():
    import dagster as dg

    return dg.AssetCheckSeverity.WARN
