"""Drift between a reference sample and the current data, measured by Evidently.

Evidently picks the test per column by type and size (Wasserstein or Jensen-Shannon distance on
large samples, Kolmogorov-Smirnov or chi-square p-values on small ones); a column has drifted when
its distance reaches the threshold or its p-value falls below it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

from cip_assets.monitoring.alerts import DEFAULTS

_VALUE_DRIFT = re.compile(r"ValueDrift\(column=(?P<column>.+?),method=(?P<method>.+?),threshold=(?P<threshold>[\d.e-]+)\)")


@dataclass
class DriftResult:
    columns: pd.DataFrame  # column, method, score, threshold, drifted
    drifted_share: float
    report_path: Path | None


def measure_drift(reference: pd.DataFrame, current: pd.DataFrame, html_path: Path | None = None) -> DriftResult:
    """Per-column drift of `current` against `reference` on their shared, non-constant columns."""
    columns = [c for c in reference.columns if c in current.columns
               and reference[c].notna().any() and current[c].notna().any()]
    reference = _plain(reference[columns])
    current = _plain(current[columns])
    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    rows = []
    for metric in snapshot.dict()["metrics"]:
        match = _VALUE_DRIFT.match(metric["metric_name"])
        if match:
            score, threshold, method = float(metric["value"]), float(match["threshold"]), match["method"]
            drifted = score < threshold if "p_value" in method else score >= threshold
            rows.append({"column": match["column"], "method": method, "score": score, "threshold": threshold,
                         "drifted": bool(drifted)})
    table = pd.DataFrame(rows, columns=["column", "method", "score", "threshold", "drifted"])
    if html_path is not None:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        snapshot.save_html(str(html_path))
    return DriftResult(columns=table, drifted_share=float(table.drifted.mean()) if len(table) else 0.0,
                       report_path=html_path)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories as text and numbers as floats: the types Evidently infers reliably."""
    return frame.apply(lambda c: c.astype("string").astype(object) if c.dtype == "category" or c.dtype == object
                       else c.astype(float))


# ---------------------------------------------------------------- what is compared each night
TRAINING_DRIFT = "churn features vs training"  # measured and checked, but not an alert: see alerts.drift_alerts
FEEDBACK_WINDOW_DAYS = 30


STABLE_SAMPLE_ROWS = DEFAULTS["drift_sample_customers"]


def stable_sample(frame: pd.DataFrame, rows: int = STABLE_SAMPLE_ROWS) -> pd.DataFrame:
    """The same customers every night (by a hash of the id), so unchanged data shows no drift."""
    if len(frame) <= rows:
        return frame.reset_index(drop=True)
    order = pd.util.hash_pandas_object(frame.customer_id.astype(str), index=False).argsort()
    return frame.iloc[order[:rows]].reset_index(drop=True)


def scoring_samples(con) -> list[pd.DataFrame]:
    """The last two scorings' samples, newest first (monitoring.scoring_features holds their features as JSON,
    written by the scoring asset): what tonight scored, and what the scoring before it did."""
    from cip_resources.tables import table_exists

    if not table_exists(con, "monitoring", "scoring_features"):
        return []
    frame = con.execute("""SELECT customer_id, churn_probability, features, scored_at FROM monitoring.scoring_features
                           WHERE scored_at IN (SELECT DISTINCT scored_at FROM monitoring.scoring_features
                                               ORDER BY scored_at DESC LIMIT 2)
                             AND features IS NOT NULL""").df()
    samples = []
    for _, rows in sorted(frame.groupby("scored_at"), key=lambda group: group[0], reverse=True):
        features = pd.json_normalize([json.loads(f) for f in rows.features])
        samples.append(pd.concat([rows[["customer_id", "churn_probability"]].reset_index(drop=True), features],
                                 axis=1))
    return samples


def record_scoring_sample(con, frame: pd.DataFrame, scores: pd.DataFrame, features: list[str],
                          rows: int = STABLE_SAMPLE_ROWS) -> None:
    """What the churn scoring asset keeps of each scoring: a stable sample of the customers it scored, their
    features and probability, so drift compares scorings without computing the features again."""
    from cip_assets.monitoring.tables import SCORING_FEATURES
    from cip_resources.tables import write_table

    sample = stable_sample(frame, rows).merge(scores[["customer_id", "churn_probability"]], on="customer_id")
    write_table(con, SCORING_FEATURES, scoring_features_rows(sample, features, datetime.now()), mode="append")


def scoring_features_rows(current: pd.DataFrame, features: list[str], scored_at) -> pd.DataFrame:
    """Tonight's sample for monitoring.scoring_features: the features as one JSON object per customer."""
    values = current[features].astype(object).where(current[features].notna(), None)
    return pd.DataFrame({"customer_id": current.customer_id.astype(str),
                         "churn_probability": current.churn_probability,
                         "scored_at": scored_at,
                         "features": [json.dumps(row, default=str) for row in values.to_dict("records")]})


def feedback_windows(con) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Feedback of the last FEEDBACK_WINDOW_DAYS against everything before: text length and sentiment."""
    from cip_resources.tables import table_exists

    if table_exists(con, "nlp", "feedback_sentiment"):
        source, sentiment = "nlp.feedback_sentiment", "sentiment_score"
    elif table_exists(con, "staging", "stg_feedback"):
        source, sentiment = "(SELECT created_at, feedback_text AS text, rating FROM staging.stg_feedback)", "rating"
    else:
        return None
    frame = con.execute(f"""SELECT created_at >= (SELECT max(created_at) FROM {source}) - to_days({FEEDBACK_WINDOW_DAYS})
                                   AS recent, length(text)::DOUBLE AS text_length, {sentiment}::DOUBLE AS sentiment
                            FROM {source} WHERE text IS NOT NULL AND created_at IS NOT NULL""").df()
    if frame.empty:
        return None
    return frame.loc[~frame.recent, ["text_length", "sentiment"]], frame.loc[frame.recent, ["text_length", "sentiment"]]


def summary_rows(pairs: dict[str, tuple[pd.DataFrame, pd.DataFrame]], reports_dir: Path, measured_at,
                 log=print) -> tuple[pd.DataFrame, dict[str, str]]:
    """Evidently on every comparison with enough rows: one row per column, and the HTML report paths."""
    rows, reports = [], {}
    for kind, (reference, current) in pairs.items():
        if len(reference) < 30 or len(current) < 30:
            log(f"{kind}: too few rows to measure drift ({len(reference)} vs {len(current)})")
            continue
        result = measure_drift(reference, current, reports_dir / f"{kind.replace(' ', '_')}.html")
        reports[kind] = str(result.report_path)
        rows.append(result.columns.rename(columns={"column": "column_name"}).assign(
            kind=kind, measured_at=measured_at, report_path=str(result.report_path),
            reference_rows=len(reference), current_rows=len(current)))
    return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()), reports
