"""Event streams: sessionisation, point-in-time features, purchase propensity, next action, funnel and timing marts.

The unit tests build tiny event tables by hand; the rest read the session's synthetic `cip run`
(conftest's synthetic_run_home), whose assets trained and scored the event models for real. The model
lifecycle tests train the event models again on a copy of that run's warehouse (capped samples), with an
MLflow of their own.
"""

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import mlflow
import numpy as np
import pandas as pd
import pytest

from cip_assets.events.features import EventSettings, plan_snapshots, snapshot
from cip_assets.events.next_action import (ACTIONS, END, PAD, MarkovChain, Windows, build_windows,
                                           read_live_sessions)
from cip_assets.events.propensity import RecentActivity, evaluate, recent_activity_score, top_share_metrics
from cip_resources.mlflow import tracking_uri
from cip_resources.settings import ConfigError

VIEW, CART, REMOVE, PURCHASE = range(4)


# ---------------------------------------------------------------- unit: windows, Markov chain, metrics
def test_windows_and_targets_stay_inside_their_session():
    session = np.array([0, 0, 0, 1, 1])
    types = np.array([VIEW, CART, PURCHASE, VIEW, VIEW])
    seconds = np.array([np.nan, 30, 60, np.nan, 5])
    windows, target = build_windows(session, types, seconds, np.array([1, 2, 3, 1, 2]))
    assert target.tolist() == [CART, PURCHASE, END, VIEW, END]
    assert windows.tokens[2, :4].tolist() == [PURCHASE, CART, VIEW, PAD]  # newest first
    assert windows.tokens[3, :2].tolist() == [VIEW, PAD]  # session 1 does not see session 0's purchase
    assert windows.gaps[2, :3] == pytest.approx(np.log1p([60, 30, 0]))
    assert Windows.from_frame(windows.to_frame()).tokens.tolist() == windows.tokens.tolist()


def test_markov_chain_learns_the_transitions():
    rng = np.random.default_rng(0)
    sessions, types = [], []
    for s in range(3000):  # views, then a cart in 30% of sessions, always followed by a purchase
        n_views = 1 + rng.poisson(2)
        seq = [VIEW] * n_views + ([CART, PURCHASE] if rng.random() < 0.3 else [])
        sessions += [s] * len(seq)
        types += seq
    session, types = np.array(sessions), np.array(types)
    windows, target = build_windows(session, types, np.zeros(len(types)), np.ones(len(types)))
    model = MarkovChain().fit(windows, target)
    after_cart = model.predict_proba(windows.take(np.flatnonzero(windows.tokens[:, 0] == CART)))
    assert after_cart[:, PURCHASE].min() > 0.95
    after_purchase = model.predict_proba(windows.take(np.flatnonzero(windows.tokens[:, 0] == PURCHASE)))
    assert after_purchase.argmax(axis=1).tolist() == [END] * len(after_purchase)
    assert model.predict_proba(windows).sum(axis=1) == pytest.approx(1.0)


def test_top_share_metrics_and_the_activity_baseline_as_a_probability():
    y = np.zeros(100, int)
    y[:10] = 1
    score = np.zeros(100)
    score[[0, 1, 2, 50, 60]] = 1.0  # the top 5: three buyers, two not
    m = top_share_metrics(y, score)
    assert m == {"precision_top5": 0.6, "recall_top5": 0.3, "lift_top5": pytest.approx(6.0)}
    # the registrable recent-activity baseline is a probability that keeps the activity ranking
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"events_7d": rng.poisson(3, 500).astype(float),
                          "hours_since_last_event": rng.exponential(50, 500)})
    bought = (rng.random(500) < 0.1 + 0.05 * frame.events_7d).astype(int)
    probability = RecentActivity(frame, bought).probability(frame)
    assert ((probability > 0) & (probability < 1)).all()
    assert evaluate(bought, probability) == pytest.approx(evaluate(bought, recent_activity_score(frame)))


def test_event_settings_accept_hours_and_reject_nonsense():
    settings = EventSettings.from_config({"events": {"horizon_days": 1 / 24, "train_snapshots": 3}})
    assert settings.horizon == timedelta(hours=1) and settings.step == timedelta(hours=1)
    with pytest.raises(ValueError, match="horizon_days"):
        EventSettings.from_config({"events": {"horizon_days": 0}})
    with pytest.raises(ConfigError, match=r"events.horizon_days: expected a number, got 'seven'"):
        EventSettings.from_config({"events": {"horizon_days": "seven"}})
    with pytest.raises(ConfigError, match=r"events.horizon_day: unknown key \(did you mean 'horizon_days'\?"):
        EventSettings.from_config({"events": {"horizon_day": 7}})


def test_cip_run_refuses_a_bad_events_section_before_it_starts(cip_home, tmp_path, capsys):
    from cip_assets.cli import main
    from tests.conftest import write_config

    config = write_config(tmp_path / "conf", [{"name": "s", "adapter": "synthetic", "customers": 50}],
                          events={"horizon_days": "seven"})
    assert main(["run", "--config", str(config)]) == 2
    assert "events.horizon_days: expected a number, got 'seven'" in capsys.readouterr().err
    assert not (cip_home / "warehouse.duckdb").exists()  # nothing ran


# ---------------------------------------------------------------- unit: point-in-time features on a hand-made table
def _events_table(con, rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "session_key", "event_at", "event_type", "category", "brand",
                                        "price"])
    con.execute("CREATE SCHEMA intermediate")
    con.register("f", frame)
    con.execute("CREATE TABLE intermediate.int_sessionised_events AS SELECT * FROM f")


def test_snapshot_features_and_label_read_only_their_own_window():
    cut = datetime(2024, 3, 10)
    h = timedelta(hours=1)
    rows = [  # customer a: browsed and carted yesterday, buys tomorrow; b: a purchase 20 days ago, nothing after
        ("a", "a#1", cut - 30 * h, "view", "Toys", "x", 10.0), ("a", "a#1", cut - 29.5 * h, "view", "Toys", "y", 30.0),
        ("a", "a#1", cut - 29 * h, "cart", "Toys", "y", 30.0),
        ("a", "a#2", cut + 20 * h, "purchase", "Toys", "y", 30.0),
        ("b", "b#1", cut - 20 * 24 * h, "view", "Home", "z", 50.0),
        ("b", "b#1", cut - 20 * 24 * h, "purchase", "Home", "z", 50.0),
        ("c", "c#1", cut - 40 * 24 * h, "view", "Home", "z", 50.0),  # outside the 30-day population
    ]
    con = duckdb.connect()
    _events_table(con, rows)
    snap = snapshot(con, cut, timedelta(days=7)).set_index("customer_id")
    assert list(snap.index) == ["a", "b"]
    a, b = snap.loc["a"], snap.loc["b"]
    assert (a.events_1d, a.events_7d, a.views_7d, a.carts_7d, a.cart_open, a.purchased) == (0, 3, 2, 1, 1, 1)
    assert a.hours_since_last_cart == pytest.approx(29.0) and a.view_to_cart_30d == pytest.approx(0.5)
    assert (b.purchases_30d, b.purchased, b.cart_open) == (1, 0, 0) and np.isnan(b.hours_since_last_cart)
    # deleting everything from the cutoff on changes no feature
    con.execute("DELETE FROM intermediate.int_sessionised_events WHERE event_at >= ?", [cut])
    again = snapshot(con, cut, timedelta(days=7)).set_index("customer_id")
    pd.testing.assert_frame_equal(again.drop(columns="purchased"), snap.drop(columns="purchased"))
    # a 12-hour horizon ends before a's purchase 20 hours after the cutoff
    con.execute("INSERT INTO intermediate.int_sessionised_events VALUES ('a', 'a#2', ?, 'purchase', 'Toys', 'y', 30)",
                [cut + 20 * h])
    assert snapshot(con, cut, timedelta(hours=12)).set_index("customer_id").purchased.tolist() == [0, 0]


def test_snapshot_plan_keeps_training_labels_before_the_evaluation_cutoff():
    first, last = datetime(2024, 1, 1), datetime(2024, 3, 1)
    plan = plan_snapshots(first, last, timedelta(days=7), timedelta(days=7), 4)
    assert plan.evaluation_cutoff == last - timedelta(days=7)
    assert len(plan.train_cutoffs) == 4
    assert all(c + plan.horizon <= plan.evaluation_cutoff for c in plan.train_cutoffs)
    assert plan_snapshots(first, first + timedelta(days=10), timedelta(days=7), timedelta(days=7)) is None


# ---------------------------------------------------------------- the synthetic run's warehouse
@pytest.fixture(scope="module")
def run_db(synthetic_run_home):
    con = duckdb.connect(str(synthetic_run_home / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


def test_sessions_break_exactly_at_the_30_minute_gap(run_db):
    within, between = run_db.execute("""
        WITH e AS (SELECT visitor_id, session_key, event_at,
                          lag(event_at) OVER (PARTITION BY visitor_id ORDER BY event_at, event_type_rank, event_index)
                              AS previous_at,
                          lag(session_key) OVER (PARTITION BY visitor_id ORDER BY event_at, event_type_rank, event_index)
                              AS previous_session
                   FROM intermediate.int_sessionised_events)
        SELECT max(date_diff('second', previous_at, event_at)) FILTER (WHERE session_key = previous_session),
               min(date_diff('second', previous_at, event_at)) FILTER (WHERE session_key <> previous_session)
        FROM e""").fetchone()
    assert within <= 1800 < between
    events, sessioned, sessions = run_db.execute("""
        SELECT (SELECT count(*) FROM raw.events WHERE coalesce(customer_id, session_id) IS NOT NULL),
               (SELECT count(*) FROM intermediate.int_sessionised_events),
               (SELECT sum(events) FROM marts.event_sessions)""").fetchone()
    assert events == sessioned == sessions


def test_funnel_by_category_and_purchase_timing_match_pandas(run_db):
    events = run_db.execute("SELECT session_key, coalesce(category, '(unknown)') AS category, event_type "
                            "FROM intermediate.int_sessionised_events").df()
    flags = events.assign(viewed=events.event_type == "view", carted=events.event_type == "cart",
                          purchased=events.event_type == "purchase").groupby(["session_key", "category"])[
        ["viewed", "carted", "purchased"]].any()
    expected = flags.groupby("category").agg(
        sessions_viewed=("viewed", "sum"), sessions_carted=("carted", "sum"), sessions_purchased=("purchased", "sum"))
    expected["cart_to_purchase_rate"] = (flags.carted & flags.purchased).groupby("category").sum() / expected.sessions_carted
    mart = run_db.execute("SELECT * FROM marts.funnel_by_category").df().set_index("category").loc[expected.index]
    for column in expected:
        assert mart[column].to_numpy() == pytest.approx(expected[column].to_numpy()), column

    sessions = run_db.execute("SELECT started_at, converted FROM marts.event_sessions").df()
    cells = sessions.groupby([(sessions.started_at.dt.dayofweek), sessions.started_at.dt.hour]).converted.agg(
        ["size", "sum"])
    timing = run_db.execute("SELECT * FROM marts.purchase_timing").df().set_index(["weekday", "hour"])
    assert len(timing) == len(cells)
    assert timing.purchase_probability.sort_index().to_numpy() == pytest.approx(
        (cells["sum"] / cells["size"]).sort_index().to_numpy())
    top = timing[timing.probability_rank == 1].iloc[0]
    assert top.smoothed_probability == pytest.approx(timing.smoothed_probability.max())


def test_propensity_model_is_out_of_time_tracked_and_scores_join_the_customers(run_db, synthetic_run_home):
    evaluation = run_db.execute("SELECT * FROM ml.propensity_evaluation").df().set_index("method")
    assert set(evaluation.index) == {"model", "logreg_counts", "recent_activity"}
    assert evaluation.evaluation_cutoff.nunique() == 1 and evaluation.model_version.nunique() == 1
    assert evaluation.loc["model", "roc_auc"] > 0.65
    assert evaluation.loc["model", "lift_top5"] > 1.5
    # on the synthetic default the model beats both baselines, so it was promoted and scored everyone recent
    assert evaluation.beats_baselines.all()
    mlflow.set_tracking_uri(tracking_uri(synthetic_run_home))
    client = mlflow.MlflowClient()
    champion = client.get_model_version_by_alias("cip_purchase_propensity", "champion")
    run = client.get_run(champion.run_id)
    assert run.data.metrics["model_roc_auc"] == pytest.approx(evaluation.loc["model", "roc_auc"])
    assert run.data.params["evaluation_cutoff"].startswith(str(evaluation.evaluation_cutoff.iloc[0])[:10])
    (recent,) = run_db.execute("""SELECT count(DISTINCT customer_id) FROM intermediate.int_sessionised_events
                                  WHERE customer_id IS NOT NULL AND event_at >= (SELECT max(event_at) FROM
                                        intermediate.int_sessionised_events) - INTERVAL 30 DAY""").fetchone()
    scored, joined, deciles = run_db.execute("""
        SELECT (SELECT count(*) FROM ml.purchase_propensity),
               (SELECT count(*) FROM marts.customer_scores WHERE purchase_probability IS NOT NULL),
               (SELECT count(DISTINCT propensity_decile) FROM ml.purchase_propensity)""").fetchone()
    assert scored == recent == joined and deciles == 10


def test_next_action_models_share_one_split_and_the_best_scores_live_sessions(run_db, synthetic_run_home):
    evaluation = run_db.execute("SELECT * FROM ml.next_action_evaluation").df().set_index("model")
    assert set(evaluation.index) == {"markov_chain", "lightgbm_ngrams", "gru"}
    assert evaluation.test_examples.nunique() == 1 and evaluation.split_at.nunique() == 1
    assert evaluation.chosen.sum() == 1 and evaluation.macro_f1.idxmax() == evaluation.index[evaluation.chosen][0]
    # learning from the sequence beats the two-step Markov baseline on the synthetic sessions
    assert evaluation.drop("markov_chain").macro_f1.max() > evaluation.loc["markov_chain", "macro_f1"] + 0.05
    mlflow.set_tracking_uri(tracking_uri(synthetic_run_home))
    client = mlflow.MlflowClient()
    for name, row in evaluation.iterrows():
        assert client.get_run(row.mlflow_run_id).data.metrics["macro_f1"] == pytest.approx(row.macro_f1), name
    champion = client.get_model_version_by_alias("cip_next_action", "champion")
    assert champion.tags["model"] == evaluation.index[evaluation.chosen][0]
    # the stored live-session scores are what the registered champion says about those sessions now
    scores = run_db.execute("SELECT * FROM ml.next_action_scores ORDER BY session_key").df()
    sessions, windows = read_live_sessions(run_db)
    assert scores.session_key.tolist() == sessions.session_key.tolist() and len(scores) > 0
    again = mlflow.pyfunc.load_model("models:/cip_next_action@champion").predict(windows.to_frame())
    columns = [f"p_{a}" for a in ACTIONS]
    assert scores[columns].to_numpy() == pytest.approx(again[columns].to_numpy(), abs=1e-5)
    assert scores[columns].sum(axis=1).to_numpy() == pytest.approx(1.0, abs=1e-5)


# ---------------------------------------------------------------- the model lifecycle on the event models
@pytest.fixture
def events_home(synthetic_run_home, cip_home, tmp_path):
    """A copy of the synthetic run's warehouse (events, sessions) with an empty MLflow, and settings that cap
    the next-action samples so that a training takes seconds."""
    import shutil

    from cip_resources.config import CipSettings
    from tests.conftest import write_config

    shutil.copy(synthetic_run_home / "warehouse.duckdb", cip_home / "warehouse.duckdb")
    config = write_config(tmp_path / "conf", [{"name": "synthetic", "adapter": "synthetic"}],
                          events={"max_train_events": 8_000, "max_test_events": 3_000})
    return cip_home, CipSettings(config_path=str(config))


def _materialize_events(home, settings, keys=None):
    import dagster as dg

    from cip_assets.events.assets import events_assets, events_checks
    from cip_resources.mlflow import MlflowResource
    from cip_resources.warehouse import WarehouseResource

    resources = {"warehouse": WarehouseResource(database=str(home / "warehouse.duckdb")), "settings": settings,
                 "mlflow_tracking": MlflowResource(cip_home=str(home))}
    selection = [dg.AssetKey(k.split("/")) for k in keys] if keys else None
    return dg.materialize([*events_assets, *events_checks], resources=resources, raise_on_error=False,
                          selection=selection)


class _Prior:
    """A next-action "model" that learns nothing but the class shares: it loses to the Markov chain."""

    def __init__(self, name):
        self.name = name

    def fit(self, windows, target):
        self.shares = np.bincount(target, minlength=len(ACTIONS)) / len(target)
        return self

    def predict_proba(self, windows):
        return np.tile(self.shares, (len(windows), 1))


def _weak_event_models(monkeypatch):
    from lightgbm import LGBMClassifier

    from cip_assets.events import propensity, training

    monkeypatch.setattr(propensity, "new_model", lambda seed=0: LGBMClassifier(  # no split possible: a constant
        n_estimators=5, min_child_samples=10**9, verbose=-1))
    monkeypatch.setattr(training, "NgramLightGBM", lambda: _Prior("lightgbm_ngrams"))
    monkeypatch.setattr(training, "GRUNextAction", lambda: _Prior("gru"))


def test_event_models_losing_candidates_keep_their_champions_and_the_champions_alone_reproduce_the_scores(
        events_home, monkeypatch):
    import dagster as dg

    home, settings = events_home
    good = _materialize_events(home, settings)
    assert good.success
    assert all(c.passed for c in good.get_asset_check_evaluations())
    mlflow.set_tracking_uri(tracking_uri(home))
    client = mlflow.MlflowClient()
    propensity = client.get_model_version_by_alias("cip_purchase_propensity", "champion")
    next_action = client.get_model_version_by_alias("cip_next_action", "champion")
    assert propensity.tags["method"] == "model" and propensity.tags["baseline"] == "false"
    assert next_action.tags["method"] in ("gru", "lightgbm_ngrams") and next_action.tags["baseline"] == "false"

    _weak_event_models(monkeypatch)
    weak = _materialize_events(home, settings)
    assert weak.success  # losing is a warning, never a failed run
    checks = weak.get_asset_check_evaluations()
    assert len(checks) == 2 and not any(c.passed for c in checks)
    assert {c.severity for c in checks} == {dg.AssetCheckSeverity.WARN}
    assert all("did not beat" in c.metadata["decision"].value for c in checks)
    assert client.get_model_version_by_alias("cip_purchase_propensity", "champion").version == propensity.version
    assert client.get_model_version_by_alias("cip_next_action", "champion").version == next_action.version
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        decisions = con.execute("""SELECT * FROM ml.model_decisions WHERE model IN ('cip_purchase_propensity',
            'cip_next_action') ORDER BY decided_at DESC LIMIT 2""").df().set_index("model")
        evaluation = con.execute("SELECT * FROM ml.propensity_evaluation").df().set_index("method")
        scores = con.execute("SELECT * FROM ml.purchase_propensity ORDER BY customer_id").df()
        (recent,) = con.execute("""SELECT count(DISTINCT customer_id) FROM intermediate.int_sessionised_events
            WHERE customer_id IS NOT NULL AND event_at >= (SELECT max(event_at) FROM
                  intermediate.int_sessionised_events) - INTERVAL 30 DAY""").fetchone()
        frame = snapshot(con, scores.as_of.iloc[0].to_pydatetime(), timedelta(days=scores.horizon_days.iloc[0]))
        live = con.execute("SELECT * FROM ml.next_action_scores ORDER BY session_key").df()
        sessions, windows = read_live_sessions(con)
    assert not decisions.promoted.any()
    assert (decisions.champion_before_score > decisions.candidate_score).all()
    assert decisions.loc["cip_purchase_propensity", "candidate_method"] in ("logreg_counts", "recent_activity")
    assert decisions.loc["cip_next_action", "candidate_method"] == "markov_chain"
    # a baseline won this training: it is the registered candidate, tagged as such, and not the champion
    candidate = client.get_model_version_by_alias("cip_purchase_propensity", "candidate")
    assert candidate.tags["baseline"] == "true"
    assert evaluation.model_version.unique().tolist() == [str(candidate.version)]
    assert evaluation.loc["model", "roc_auc"] == pytest.approx(0.5) and not evaluation.beats_baselines.any()

    # the champions scored this run, and the registered pyfuncs alone reproduce what was stored
    assert len(scores) == recent and set(scores.model_version) == {str(propensity.version)}
    assert scores.propensity_decile.nunique() == 10
    model = mlflow.pyfunc.load_model(f"models:/cip_purchase_propensity/{propensity.version}")
    again = model.predict(frame.set_index("customer_id").loc[scores.customer_id].reset_index())
    assert again.purchase_probability.to_numpy() == pytest.approx(scores.purchase_probability.to_numpy())
    assert len(live) > 0 and set(live.model_version) == {str(next_action.version)}
    assert set(live.model) == {next_action.tags["method"]}
    columns = [f"p_{a}" for a in ACTIONS]
    proba = mlflow.pyfunc.load_model(f"models:/cip_next_action/{next_action.version}").predict(windows.to_frame())
    assert live.session_key.tolist() == sessions.session_key.tolist()
    assert live[columns].to_numpy() == pytest.approx(proba[columns].to_numpy(), abs=1e-6)


def test_an_event_champion_from_before_the_pyfunc_is_skipped_then_replaced(events_home):
    """A champion registered as a bare LightGBM model (before the pyfunc): scoring skips with the reason and
    keeps the published scores; the next training cannot re-score it, so its candidate replaces it."""
    from lightgbm import LGBMClassifier

    from cip_assets.events.features import FEATURES

    home, settings = events_home
    mlflow.set_tracking_uri(tracking_uri(home))
    client = mlflow.MlflowClient()
    frame = pd.DataFrame(np.random.default_rng(0).random((300, len(FEATURES))), columns=FEATURES)
    old = LGBMClassifier(n_estimators=5, verbose=-1).fit(frame, np.arange(300) % 2)
    with mlflow.start_run():
        info = mlflow.lightgbm.log_model(old, name="model", registered_model_name="cip_purchase_propensity")
    client.set_registered_model_alias("cip_purchase_propensity", "champion", str(info.registered_model_version))
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        published = con.execute("SELECT count(*) FROM ml.purchase_propensity").fetchone()[0]

    scoring = _materialize_events(home, settings, ["ml/purchase_propensity"])
    assert scoring.success
    (event,) = scoring.get_asset_materialization_events()
    assert "predates the self-contained propensity pyfunc" in event.materialization.metadata["skipped"].value
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ml.purchase_propensity").fetchone()[0] == published

    retrain = _materialize_events(home, settings, ["ml/propensity_model", "ml/purchase_propensity"])
    assert retrain.success
    champion = client.get_model_version_by_alias("cip_purchase_propensity", "champion")
    assert int(champion.version) == int(info.registered_model_version) + 1 and "method" in champion.tags
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        decision = con.execute("SELECT * FROM ml.model_decisions WHERE model = 'cip_purchase_propensity' "
                               "ORDER BY decided_at DESC LIMIT 1").df().iloc[0]
        versions = con.execute("SELECT DISTINCT model_version FROM ml.purchase_propensity").fetchall()
    assert decision.promoted and decision.champion_before == str(info.registered_model_version)
    assert pd.isna(decision.champion_before_score) and "could not be re-scored" in decision.summary
    assert versions == [(str(champion.version),)]


# ---------------------------------------------------------------- the REES46 sample end to end
@pytest.mark.slow  # a whole `cip run` over real events; the synthetic session run covers the same job
def test_rees46_sample_runs_end_to_end(cip_home, tmp_path, capsys, monkeypatch):
    """The real stream is 17,435 events and nearly all of them fall in 35 minutes, so the propensity horizon
    is 10 minutes with cutoffs 5 minutes apart; everything else runs as configured by default."""
    from cip_assets.cli import main
    from tests.conftest import shared_file, write_config

    path = shared_file("rees46_events_sample.csv.gz")
    config = write_config(tmp_path / "conf", [{"name": "rees46", "adapter": "events", "path": str(path)}],
                          events={"horizon_days": 10 / 1440, "snapshot_every_days": 5 / 1440, "train_snapshots": 3})
    assert main(["run", "--config", str(config)]) == 0
    assert "0 failed" in capsys.readouterr().out
    raw = pd.read_csv(path, usecols=["event_time", "user_id"]).iloc[:-1].copy()  # the last line is cut: a reject
    raw["at"] = pd.to_datetime(raw.event_time.str.removesuffix(" UTC"))
    raw = raw.sort_values(["user_id", "at"])
    new_session = raw.user_id.ne(raw.user_id.shift()) | (raw["at"].diff() > pd.Timedelta(minutes=30))
    with duckdb.connect(str(cip_home / "published" / "cip.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.event_sessions").fetchone()[0] == new_session.sum()
        assert con.execute("SELECT count(*) FROM marts.purchase_timing").fetchone()[0] == raw["at"].dt.hour.nunique()
        cutoff, methods = con.execute("SELECT any_value(evaluation_cutoff), count(*) FROM ml.propensity_evaluation"
                                      ).fetchone()
        assert methods == 3 and cutoff == raw["at"].max() - timedelta(minutes=10)
        assert con.execute("SELECT count(*) FROM ml.purchase_propensity").fetchone()[0] == raw.user_id.nunique()
        assert con.execute("SELECT count(*) FROM ml.next_action_evaluation").fetchone()[0] == 3
        assert con.execute("SELECT count(*) FROM ml.next_action_scores").fetchone()[0] > 0
    # a shop with events and no order history still sees its scored visitors on the dashboard
    import sys

    from streamlit.testing.v1 import AppTest

    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    monkeypatch.setenv("CIP_DASHBOARD_AUTH", "off")  # AppTest binds no address, which means every interface
    at = AppTest.from_file(f"{root}/dashboards/app.py", default_timeout=60).run()
    at.switch_page("views/churn_pricing.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customers scored for purchase"] == f"{raw.user_id.nunique():,}"
    assert "Expected buyers in 10 minutes" in metrics
