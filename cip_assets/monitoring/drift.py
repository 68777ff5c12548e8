"""Drift between a reference sample and the current data, measured by Evidently.

Evidently picks the test per column by type and size (Wasserstein or Jensen-Shannon distance on
large samples, Kolmogorov-Smirnov or chi-square p-values on small ones); a column has drifted when
its distance reaches the threshold or its p-value falls below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

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
