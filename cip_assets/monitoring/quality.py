"""Data quality across a run: check outcomes summarised, and columns that suddenly went empty.

The Great Expectations suites and dbt tests run as Dagster asset checks; this module turns their
latest outcomes into one summary row per run for `monitoring.data_quality`. Null-share jumps catch
the broken feed those checks let through: a column that may be empty, and suddenly always is.
"""

from __future__ import annotations

import duckdb
import pandas as pd

# raw tables with a time column, and the columns a source may leave empty but rarely does all at once
TIMED_TABLES = {"order_lines": "ordered_at", "feedback": "created_at", "events": "event_at"}
SKIP_COLUMNS = {"source", "attributes"}


def null_share_jumps(con: duckdb.DuckDBPyConnection, jump: float, recent_days: int = 7,
                     min_rows: int = 50) -> pd.DataFrame:
    """Columns whose null share over the last `recent_days` of a table's own time is `jump` above before."""
    found = []
    for table, time_column in TIMED_TABLES.items():
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ?",
            [table]).fetchall() if c not in SKIP_COLUMNS and c != time_column]
        if not columns:
            continue
        shares = ", ".join(f"avg(({_q(c)} IS NULL)::INT) FILTER (WHERE recent) AS {_q('recent_' + c)}, "
                           f"avg(({_q(c)} IS NULL)::INT) FILTER (WHERE NOT recent) AS {_q('earlier_' + c)}"
                           for c in columns)
        row = con.execute(f"""
            WITH t AS (SELECT *, {_q(time_column)} > (SELECT max({_q(time_column)}) FROM raw.{table})
                                 - to_days({int(recent_days)}) AS recent FROM raw.{table})
            SELECT count(*) FILTER (WHERE recent), count(*) FILTER (WHERE NOT recent), {shares} FROM t""").fetchone()
        recent_rows, earlier_rows, values = row[0], row[1], row[2:]
        if recent_rows < min_rows or earlier_rows < min_rows:
            continue
        for i, column in enumerate(columns):
            recent, earlier = values[2 * i], values[2 * i + 1]
            if recent is not None and earlier is not None and recent - earlier >= jump:
                found.append({"table_name": f"raw.{table}", "column_name": column, "recent_null_share": recent,
                              "earlier_null_share": earlier, "recent_rows": recent_rows})
    return pd.DataFrame(found, columns=["table_name", "column_name", "recent_null_share", "earlier_null_share",
                                        "recent_rows"])


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def summarise_checks(results: pd.DataFrame) -> dict:
    """`results`: one row per check (check_name, kind, passed, severity); returns the per-run counts."""
    failed = results[~results.passed.astype(bool)]
    warned = failed[failed.severity == "WARN"]
    errors = failed[failed.severity != "WARN"]
    return {"checks": len(results), "passed": int(results.passed.sum()), "warned": len(warned),
            "failed": len(errors), "failed_checks": sorted(errors.check_name), "warned_checks": sorted(warned.check_name),
            "great_expectations": int((results.kind == "great_expectations").sum()),
            "dbt_tests": int((results.kind == "dbt_test").sum())}


def check_results(records: dict) -> pd.DataFrame:
    """The latest evaluation of every asset check (from the Dagster event log) as monitoring.check_results rows."""
    from datetime import datetime

    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    rows = []
    for key, record in records.items():
        if record.status == AssetCheckExecutionRecordStatus.PLANNED or record.evaluation is None:
            continue
        evaluation = record.evaluation
        rows.append({"asset": key.asset_key.to_user_string(), "check_name": key.name,
                     "kind": ("great_expectations" if key.name == "great_expectations" else
                              "dbt_test" if key.asset_key.path[0] in ("staging", "intermediate", "marts") else "platform"),
                     "passed": bool(evaluation.passed), "severity": evaluation.severity.value,
                     "run_id": record.run_id, "evaluated_at": datetime.fromtimestamp(record.create_timestamp)})
    return pd.DataFrame(rows, columns=["asset", "check_name", "kind", "passed", "severity", "run_id", "evaluated_at"])
