"""Nightly churn scoring in proportion to new data: which customers to score again, and which scores stand.

On a night after a full scoring, a customer is scored again when
- a row about them is new to the features: loaded since the last scoring (a late row too), or dated on or
  after the last scoring's as-of day (order lines, feedback, campaign exposures, events);
- one of their rows left a window the features count over (order lines: 30, 90, 180, 275 and 365 days;
  support contacts 90; events 30) between the two as-of days; at 365 days after the last order the
  customer is no longer active and leaves the scores;
- their days since the last order crossed a split point of the champion's trees on `recency_days` that can move
  the log-odds by 0.05 or more (a regression champion has none: its score drifts a little every day until the
  next full scoring);
- they are in the drift monitor's stable sample (`monitoring.drift_sample_customers`, 5,000), whose features
  are recorded every night: a shop with fewer active customers is scored whole every night.
Everyone else keeps the last score, with its `as_of`. What such a score misses is what moves with the date
alone between those points (the ratios of the wait to the customer's usual gaps, tenure, BG/NBD's T), so
everyone is scored again, and BG/NBD fitted again, every `full_rescore_every_days` (7 by default), and
whenever there is no earlier scoring, the champion changed or the data went back in time. A night scores
the few with the BG/NBD fit of the last full scoring, so their features are those a full scoring with that
fit would give (`tests/test_churn_nightly.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from cip_assets.monitoring.drift import STABLE_SAMPLE_ROWS, stable_sample
from cip_resources.tables import TableSpec, table_exists, write_table

FULL_RESCORE_EVERY_DAYS = 7
MIN_SPLIT_EFFECT = 0.05  # log-odds; a recency split point that moves a score less is left to the weekly full scoring
RESCORE = "churn_rescore"  # the temp table of customers to score again, read by `features.snapshot(only=...)`
LINE_WINDOWS = (30, 90, 180, 275, 365)  # the order-line windows of features._SNAPSHOT_SQL (275: a year earlier)

SCORING_RUNS = TableSpec("ml", "churn_scoring_runs", {
    "as_of": "TIMESTAMP", "scored_at": "TIMESTAMP", "mode": "VARCHAR", "reason": "VARCHAR",
    "model_version": "VARCHAR", "watermark": "TIMESTAMP", "last_full_as_of": "TIMESTAMP",
    "scored": "BIGINT", "kept": "BIGINT", "bgnbd_r": "DOUBLE", "bgnbd_alpha": "DOUBLE", "bgnbd_a": "DOUBLE",
    "bgnbd_b": "DOUBLE"}, grain="one row per scoring of ml.churn_scores (full or nightly)")


@dataclass(frozen=True)
class ScoringPlan:
    full: bool
    reason: str
    as_of: date
    watermark: datetime | None         # the newest loaded_at among the inputs when this scoring started
    previous: dict | None = None       # the last scoring's row of ml.churn_scoring_runs
    bgnbd: object = None               # the last full scoring's BG/NBD fit, for a nightly scoring
    rescore: pd.DataFrame | None = None  # nightly: the customers scored again (customer_id)

    @property
    def last_full_as_of(self):
        return self.as_of if self.full else self.previous["last_full_as_of"]


def load_watermark(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The newest `loaded_at` of the rows the churn features read."""
    return con.execute("""SELECT greatest((SELECT max(loaded_at) FROM staging.stg_order_lines),
        (SELECT max(loaded_at) FROM staging.stg_feedback), (SELECT max(loaded_at) FROM staging.stg_campaign_exposures),
        (SELECT max(loaded_at) FROM staging.stg_events))""").fetchone()[0]


def previous_scoring(con: duckdb.DuckDBPyConnection) -> dict | None:
    if not (table_exists(con, "ml", SCORING_RUNS.name) and table_exists(con, "ml", "churn_scores")):
        return None
    row = con.execute(f"SELECT * FROM {SCORING_RUNS.qualified} ORDER BY scored_at DESC LIMIT 1").df()
    return None if row.empty else row.iloc[0].to_dict()


def plan_scoring(con: duckdb.DuckDBPyConnection, as_of: date, model_version: str,
                 full_every_days: int = FULL_RESCORE_EVERY_DAYS) -> ScoringPlan:
    """Whether tonight scores everyone, and why."""
    from cip_assets.value.clv import BGNBD

    watermark = load_watermark(con)
    previous = previous_scoring(con)
    if previous is None:
        return ScoringPlan(True, "no earlier scoring", as_of, watermark)
    last_as_of, last_full = pd.Timestamp(previous["as_of"]).date(), pd.Timestamp(previous["last_full_as_of"]).date()
    if full_every_days == 0:
        reason = "every scoring is full (churn.full_rescore_every_days: 0, or the run config full: true)"
    elif str(previous["model_version"]) != str(model_version):
        reason = f"the champion changed (v{previous['model_version']} to v{model_version})"
    elif as_of < last_as_of:
        reason = f"the data end before the last scoring's ({last_as_of})"
    elif (as_of - last_full).days >= full_every_days:
        reason = f"the last full scoring was {(as_of - last_full).days} days ago (every {full_every_days})"
    elif pd.isna(previous["bgnbd_r"]):
        reason = "the last full scoring had no BG/NBD fit"
    else:
        fit = BGNBD(r=previous["bgnbd_r"], alpha=previous["bgnbd_alpha"], a=previous["bgnbd_a"],
                    b=previous["bgnbd_b"], log_likelihood=float("nan"), customers=0)
        return ScoringPlan(False, f"nightly: scores as of {last_as_of} stand unless the customer's data moved",
                           as_of, watermark, previous, fit)
    return ScoringPlan(True, reason, as_of, watermark, previous)


def _in_windows(column: str, windows: tuple[int, ...]) -> str:
    """`column` fell out of one of `windows` (days) between $since and $as_of: it lies in [since - w, as_of - w)."""
    return " OR ".join(f"({column} >= $since - INTERVAL {w} DAY AND {column} < $as_of - INTERVAL {w} DAY)"
                       for w in windows)


def select_customers_to_rescore(con: duckdb.DuckDBPyConnection, plan: ScoringPlan, splits: list[float],
                                drift_sample: int = STABLE_SAMPLE_ROWS) -> pd.DataFrame:
    """The customers a nightly scoring scores again (also left in the temp table RESCORE)."""
    since = pd.Timestamp(pd.Timestamp(plan.previous["as_of"]).date()).to_pydatetime()
    params = {"since": since, "as_of": pd.Timestamp(plan.as_of).to_pydatetime(),
              "watermark": pd.Timestamp(plan.previous["watermark"]).to_pydatetime(),
              "splits": [float(s) for s in splits]}  # recency <= split goes left: crossed if before <= split < now
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {RESCORE} AS
        WITH recent_orders AS (  -- as features._SNAPSHOT_SQL dates an order: its first line, if any line completed
            SELECT customer_id, min(ordered_at) AS ordered_at FROM staging.stg_order_lines
            WHERE customer_id IS NOT NULL AND ordered_at >= $since - INTERVAL 366 DAY AND ordered_at < $as_of
            GROUP BY customer_id, order_id HAVING bool_or(line_status = 'completed')
        ),
        waits AS (
            SELECT customer_id, date_diff('day', max(ordered_at), $since) AS before,
                   date_diff('day', max(ordered_at), $as_of) AS now
            FROM recent_orders WHERE ordered_at < $since GROUP BY customer_id
        )
        SELECT customer_id FROM staging.stg_order_lines
        WHERE customer_id IS NOT NULL AND ordered_at < $as_of
          AND (loaded_at > $watermark OR ordered_at >= $since OR {_in_windows('ordered_at', LINE_WINDOWS)})
        UNION
        SELECT customer_id FROM staging.stg_feedback
        WHERE customer_id IS NOT NULL AND created_at < $as_of
          AND (loaded_at > $watermark OR created_at >= $since OR {_in_windows('created_at', (90,))})
        UNION
        SELECT customer_id FROM staging.stg_campaign_exposures
        WHERE customer_id IS NOT NULL AND exposed_at < $as_of AND (loaded_at > $watermark OR exposed_at >= $since)
        UNION
        SELECT customer_id FROM staging.stg_events
        WHERE customer_id IS NOT NULL AND event_at < $as_of
          AND (loaded_at > $watermark OR event_at >= $since OR {_in_windows('event_at', (30,))})
        {"UNION SELECT customer_id FROM waits WHERE len(list_filter($splits, lambda s: s >= before AND s < now)) > 0"
         if splits else ""}
    """, params if splits else {k: v for k, v in params.items() if k != "splits"})
    if not (drift_sample and table_exists(con, "ml", "churn_scores")):
        return con.execute(f"SELECT customer_id FROM {RESCORE}").df()
    # the drift monitor's stable sample among everyone active, scored afresh every night
    active = con.execute(f"SELECT customer_id FROM ml.churn_scores UNION SELECT customer_id FROM {RESCORE}").df()
    sample = stable_sample(active, drift_sample)
    con.register("_drift_sample", sample[["customer_id"]])
    try:
        con.execute(f"INSERT INTO {RESCORE} SELECT customer_id FROM _drift_sample "
                    f"EXCEPT SELECT customer_id FROM {RESCORE}")
    finally:
        con.unregister("_drift_sample")
    return con.execute(f"SELECT customer_id FROM {RESCORE}").df()


def customers_to_score(con: duckdb.DuckDBPyConnection, champion, model_version: str,
                       full_every_days: int = FULL_RESCORE_EVERY_DAYS,
                       drift_sample: int = STABLE_SAMPLE_ROWS) -> tuple[pd.DataFrame, ScoringPlan]:
    """Tonight's snapshot features: of every active customer (full), or of those whose data moved (nightly)."""
    from cip_assets.churn.features import last_order_day, snapshot
    from cip_assets.churn.scoring import ACTIVE_WITHIN_DAYS

    plan = plan_scoring(con, last_order_day(con) + timedelta(days=1), model_version, full_every_days)
    if not plan.full:
        splits = recency_splits(champion.unwrap_python_model().method)
        plan = replace(plan, rescore=select_customers_to_rescore(con, plan, splits, drift_sample))
    frame = snapshot(con, plan.as_of, 1, only=None if plan.full else RESCORE, bgnbd=plan.bgnbd)
    return frame[frame.recency_days <= ACTIVE_WITHIN_DAYS].reset_index(drop=True), plan  # attrs["bgnbd"] kept


def recency_splits(method, min_effect: float = MIN_SPLIT_EFFECT) -> list[float]:
    """The champion's split points on `recency_days` whose crossing can move a customer's log-odds by `min_effect` or
    more: per point, the sum over its nodes of the spread of the leaves below (a bound on the change). LightGBM's
    trees only; a regression has none."""
    model = getattr(method, "model", None)
    if model is None or not hasattr(model, "booster_") or "recency_days" not in method.features:
        return []
    trees = model.booster_.trees_to_dataframe()
    low, high = {}, {}
    for node in trees.sort_values("node_depth", ascending=False).itertuples():  # children before their parent
        if pd.isna(node.left_child):
            low[node.node_index] = high[node.node_index] = node.value
        else:
            low[node.node_index] = min(low[node.left_child], low[node.right_child])
            high[node.node_index] = max(high[node.left_child], high[node.right_child])
    splits = trees[trees.split_feature == "recency_days"]
    effect = (splits.node_index.map(high) - splits.node_index.map(low)).groupby(splits.threshold).sum()
    return sorted(float(t) for t in effect.index[effect >= min_effect])


def write_scores(con: duckdb.DuckDBPyConnection, spec: TableSpec, plan: ScoringPlan, scores: pd.DataFrame,
                 fit, model_version: str) -> int:
    """Replace the scores (full) or those of the customers scored again (nightly), and record the scoring;
    one transaction, so a failure leaves yesterday's scores whole. Returns the scores kept from before."""
    con.execute("BEGIN TRANSACTION")
    try:
        if plan.full:
            write_table(con, spec, scores)
            kept = 0
        else:
            con.register("_rescored", plan.rescore)
            try:
                con.execute(f"DELETE FROM {spec.qualified} WHERE customer_id IN (SELECT customer_id FROM _rescored)")
            finally:
                con.unregister("_rescored")
            kept = con.execute(f"SELECT count(*) FROM {spec.qualified}").fetchone()[0]
            write_table(con, spec, scores, mode="append")
        write_table(con, SCORING_RUNS, pd.DataFrame([{
            "as_of": pd.Timestamp(plan.as_of), "scored_at": datetime.now(), "mode": "full" if plan.full else "nightly",
            "reason": plan.reason, "model_version": str(model_version), "watermark": plan.watermark,
            "last_full_as_of": pd.Timestamp(plan.last_full_as_of), "scored": len(scores), "kept": kept,
            **{f"bgnbd_{p}": getattr(fit, p) if fit is not None else None for p in ("r", "alpha", "a", "b")}}]),
            mode="append")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return kept


def full_rescore_every_days(config) -> int:
    """`churn.full_rescore_every_days` in cip.yaml (0: score everyone every night)."""
    section = config.model.churn if config.model is not None else None
    days = section.full_rescore_every_days if section is not None else None
    return FULL_RESCORE_EVERY_DAYS if days is None else int(days)
