"""Nightly churn scoring in proportion to new data (cip_assets/churn/nightly.py): the customers it scores again,
and the features it gives them, against full snapshots of the same warehouse."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from cip_assets.churn.features import FEATURES, last_order_day, snapshot
from cip_assets.churn.nightly import (RESCORE, SCORING_RUNS, ScoringPlan, load_watermark, plan_scoring,
                                      select_customers_to_rescore)
from cip_assets.value.clv import BGNBD
from cip_resources.tables import write_table
from cip_resources.warehouse import connect

# features that move with the date alone; every other feature changes only with new rows or a window crossing
MOVE_WITH_THE_DATE = {
    "recency_days", "tenure_days", "gap_ratio", "recency_vs_median_gap", "recency_vs_max_gap", "gap_z",
    "gap_survival", "gap_return_90d", "overdue_days", "orders_per_30d", "active_span_share", "active_month_share",
    "recent_spend_vs_usual", "p_alive", "p_buy_90d", "expected_purchases_90d"}


def _changed(before: pd.DataFrame, after: pd.DataFrame, columns: list[str]) -> set[str]:
    both = before.merge(after, on="customer_id", how="outer", suffixes=("_b", "_a"), indicator=True)
    differs = both["_merge"] != "both"
    for c in columns:
        b, a = both[f"{c}_b"].to_numpy(float), both[f"{c}_a"].to_numpy(float)
        same = np.isclose(a, b, rtol=1e-9, atol=1e-12) | (np.isnan(a) & np.isnan(b))
        differs |= ~same
    return set(both.customer_id[differs])


@pytest.fixture
def nights(synthetic_warehouse):
    """Two nights a week apart on the synthetic warehouse: the full snapshots of both, and the nightly plan."""
    con = connect(synthetic_warehouse)
    as_of = last_order_day(con) + timedelta(days=1) - timedelta(days=30)  # real orders fall between the nights
    since = as_of - timedelta(days=6)
    before, after = snapshot(con, since, 1), snapshot(con, as_of, 1)
    previous = {"as_of": pd.Timestamp(since), "watermark": load_watermark(con)}  # everything loaded was seen
    plan = ScoringPlan(False, "test", as_of, previous["watermark"], previous, before.attrs["bgnbd"])
    yield con, plan, before, after
    con.close()


def test_a_snapshot_of_a_few_customers_equals_theirs_in_the_whole_snapshot(nights):
    con, plan, _, after = nights
    few = after.customer_id.sample(150, random_state=3).to_frame()
    con.register("few", few)
    part = snapshot(con, plan.as_of, 1, only="few", bgnbd=after.attrs["bgnbd"])
    assert set(part.customer_id) == set(few.customer_id)
    whole = after.set_index("customer_id").loc[part.customer_id, FEATURES].reset_index()
    assert _changed(whole, part, FEATURES) == set()
    # with another BG/NBD fit only the three BG/NBD features differ
    other = snapshot(con, plan.as_of, 1, only="few", bgnbd=plan.bgnbd)
    assert _changed(whole, other, [f for f in FEATURES if f not in ("p_alive", "p_buy_90d", "expected_purchases_90d")]
                    ) == set()
    assert _changed(whole, other, ["p_alive"])


def test_every_customer_whose_counted_features_moved_is_scored_again(nights):
    con, plan, before, after = nights
    rescore = set(select_customers_to_rescore(con, plan, splits=[]).customer_id)
    counted = [f for f in FEATURES if f not in MOVE_WITH_THE_DATE]
    moved = _changed(before, after, counted)
    assert len(moved) > 20  # a week of orders and windows
    assert moved <= rescore, sorted(moved - rescore)[:10]
    assert len(rescore) < 0.6 * len(after)  # not everyone: the point of a nightly scoring
    assert con.execute(f"SELECT count(*) FROM {RESCORE}").fetchone()[0] == len(rescore)


def test_a_recency_split_crossed_between_the_nights_scores_the_customer_again(nights):
    con, plan, before, after = nights
    quiet = before.merge(after, on="customer_id", suffixes=("_b", "_a"))
    quiet = quiet[quiet.recency_days_a == quiet.recency_days_b + 6]  # no order between the nights
    without = set(select_customers_to_rescore(con, plan, splits=[]).customer_id)
    split = float(quiet.recency_days_b.median()) + 2.5  # crossed by those at the median wait, not before
    crossing = set(quiet.customer_id[(quiet.recency_days_b <= split) & (quiet.recency_days_a > split)])
    with_split = set(select_customers_to_rescore(con, plan, splits=[split]).customer_id)
    assert crossing and crossing <= with_split and not (crossing <= without)
    assert with_split - without <= crossing  # the split adds the customers crossing it, no one else


def test_a_scoring_is_full_without_a_full_one_this_week_on_a_new_champion_and_when_asked(nights):
    con, plan, *_ = nights
    assert plan_scoring(con, plan.as_of, "3").reason == "no earlier scoring"
    con.execute("CREATE SCHEMA IF NOT EXISTS ml")
    con.execute("CREATE TABLE ml.churn_scores (customer_id VARCHAR)")
    last = pd.Timestamp(plan.as_of - timedelta(days=2))
    write_table(con, SCORING_RUNS, pd.DataFrame([{
        "as_of": last, "scored_at": pd.Timestamp.now(), "mode": "full", "model_version": "3",
        "watermark": load_watermark(con), "last_full_as_of": last, "bgnbd_r": 0.5, "bgnbd_alpha": 20.0,
        "bgnbd_a": 0.8, "bgnbd_b": 3.0}]), mode="append")
    nightly = plan_scoring(con, plan.as_of, "3")
    assert not nightly.full and nightly.bgnbd.alpha == 20.0
    assert plan_scoring(con, plan.as_of, "4").reason.startswith("the champion changed")
    assert plan_scoring(con, plan.as_of + timedelta(days=5), "3").full  # a week after the last full one
    assert plan_scoring(con, plan.as_of - timedelta(days=3), "3").full  # the data went back
    assert plan_scoring(con, plan.as_of, "3", full_every_days=0).full  # `full: true`


def test_a_night_scores_the_customers_whose_data_moved_and_the_others_keep_their_scores(
        synthetic_warehouse, cip_home, tmp_path, monkeypatch):
    """The scoring asset on a real warehouse and MLflow registry: build (full), a day of orders for 20 customers
    (nightly: they and the crossings are scored, the rest stand), then `full: true` from the launchpad."""
    import dagster as dg
    import duckdb
    import mlflow

    from cip_assets.churn import assets as churn_assets
    from cip_resources.config import CipSettings
    from cip_resources.mlflow import MlflowResource
    from cip_resources.warehouse import WarehouseResource
    from tests.conftest import write_config
    from tests.test_churn import _materialize

    monkeypatch.setenv("CIP_CONFIG", str(write_config(tmp_path / "conf", [
        {"name": "s", "adapter": "synthetic"}], monitoring={"drift_sample_customers": 50})))
    assert _materialize(cip_home).success

    def runs(con):
        return con.execute("SELECT * FROM ml.churn_scoring_runs ORDER BY scored_at").df()

    with duckdb.connect(str(synthetic_warehouse)) as con:
        before = con.execute("SELECT * FROM ml.churn_scores").df()
        assert runs(con).iloc[-1]["mode"] == "full" and runs(con).iloc[-1]["kept"] == 0
        buyers = before.customer_id.sort_values().head(20).tolist()
        con.execute("""INSERT INTO raw.order_lines BY NAME  -- each buyer's last order again, the next day
            SELECT * EXCLUDE (loaded_at) REPLACE ('N-' || order_id AS order_id,
                   (SELECT max(ordered_at)::DATE + INTERVAL 34 HOUR FROM raw.order_lines) AS ordered_at)
            FROM raw.order_lines WHERE customer_id IN (SELECT unnest($buyers))
            QUALIFY order_id = max_by(order_id, ordered_at) OVER (PARTITION BY customer_id)""", {"buyers": buyers})
        # and for three of them a second order in the same second (the features break such ties by order id)
        con.execute("""INSERT INTO raw.order_lines BY NAME SELECT * EXCLUDE (loaded_at) REPLACE (
            'M-' || order_id AS order_id, quantity * 3 AS quantity) FROM raw.order_lines
            WHERE starts_with(order_id, 'N-') AND customer_id IN (SELECT unnest($three))""", {"three": buyers[:3]})

    def score(**config):
        resources = {"warehouse": WarehouseResource(database=str(synthetic_warehouse)), "settings": CipSettings(),
                     "mlflow_tracking": MlflowResource(cip_home=str(cip_home))}
        result = dg.materialize([churn_assets.churn_scores], resources=resources,
                                run_config={"ops": {"ml__churn_scores": {"config": config}}} if config else None)
        assert result.success

    score()
    with duckdb.connect(str(synthetic_warehouse), read_only=True) as con:
        night = runs(con).iloc[-1]
        after = con.execute("SELECT * FROM ml.churn_scores").df()
        fit = runs(con).iloc[0]
        frame = snapshot(con, night.as_of.date(), 1, bgnbd=BGNBD(fit.bgnbd_r, fit.bgnbd_alpha, fit.bgnbd_a,
                                                                 fit.bgnbd_b, 0.0, 0))
    assert night["mode"] == "nightly" and 0 < night.kept < len(after) and night.scored + night.kept == len(after)
    assert len(after) == after.customer_id.nunique() == (frame.recency_days <= 365).sum()
    both = before.merge(after, on="customer_id", suffixes=("_before", "_after"))
    stood = both[both.as_of_after == both.as_of_before]
    assert len(stood) == night.kept and (stood.churn_probability_after == stood.churn_probability_before).all()
    rescored = after[after.as_of == after.as_of.max()]
    assert set(buyers) <= set(rescored.customer_id) and len(rescored) == night.scored
    # a rescored customer's score is the registered model's on the full snapshot with the last full BG/NBD fit
    model = mlflow.pyfunc.load_model(f"models:/cip_churn/{night.model_version}")
    expected = model.predict(frame.set_index("customer_id").loc[rescored.customer_id].reset_index())
    assert np.allclose(expected.churn_probability.to_numpy(), rescored.churn_probability.to_numpy())

    score(full=True)
    with duckdb.connect(str(synthetic_warehouse), read_only=True) as con:
        last = runs(con).iloc[-1]
        assert last["mode"] == "full" and last.kept == 0
        assert con.execute("SELECT count(DISTINCT as_of) FROM ml.churn_scores").fetchone()[0] == 1
