"""The raw lake: the canonical raw tables as Parquet, for an engine other than DuckDB.

Ingest validates into the DuckDB warehouse (the ledger, the rejects and the keys live there). When the
engine is Spark, the raw tables are written here before dbt runs: one folder per table under
`CIP_LAKE_PATH` (default `CIP_HOME/lake`), `raw/<table>/day=<date>/*.parquet` for tables with a time
column, so a day is a folder that either engine reads in place (DuckDB `read_parquet(...,
hive_partitioning=true)`, Spark through the external tables the dbt project declares on each run,
macros/raw_lake.sql). Only the days whose rows changed since the last write are rewritten: the day's
row count and content hash are kept in `raw/<table>/_days.json`.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cip_assets.ingest.contract import RAW_TABLES

DAY_COLUMN = "day"
# the column that places a row in a day; tables without one are written whole
TIME_COLUMNS = {"order_lines": "ordered_at", "events": "event_at", "feedback": "created_at",
                "campaign_exposures": "exposed_at", "rejected_rows": "rejected_at"}
LAKE_TABLES = (*RAW_TABLES, "rejected_rows")
EMPTY_FILE = "empty.parquet"  # a table with no rows still needs its schema on disk


@dataclass(frozen=True)
class LakeWrite:
    table: str
    rows: int
    days: int  # days in the table
    days_written: int  # days rewritten this time (all of them for a table without a time column)


def _day_fingerprints(con: duckdb.DuckDBPyConnection, table: str, time_column: str) -> dict[str, list]:
    """Per day: rows and an order-independent hash of their content (sum of row hashes)."""
    rows = con.execute(f"""
        SELECT coalesce(CAST(CAST({time_column} AS DATE) AS VARCHAR), 'none') AS day,
               count(*), CAST(sum(hash(t)) AS VARCHAR)
        FROM raw.{table} AS t GROUP BY 1""").fetchall()
    return {day: [count, digest] for day, count, digest in rows}


def write_table(con: duckdb.DuckDBPyConnection, table: str, lake: Path) -> LakeWrite:
    folder = lake / "raw" / table
    folder.mkdir(parents=True, exist_ok=True)
    total = con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
    time_column = TIME_COLUMNS.get(table)
    empty = folder / EMPTY_FILE
    if total == 0 or time_column is None:
        for child in folder.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        target = empty if total == 0 else folder / "all.parquet"
        con.execute(f"COPY raw.{table} TO '{target}' (FORMAT parquet)")
        return LakeWrite(table, total, 0, 0)
    ledger = folder / "_days.json"
    before = json.loads(ledger.read_text()) if ledger.exists() else {}
    now = _day_fingerprints(con, table, time_column)
    changed = sorted(day for day, fingerprint in now.items() if before.get(day) != fingerprint)
    for day in set(before) - set(now):  # days whose rows are gone
        shutil.rmtree(folder / f"{DAY_COLUMN}={day}", ignore_errors=True)
    for day in changed:
        shutil.rmtree(folder / f"{DAY_COLUMN}={day}", ignore_errors=True)
    if changed:
        con.execute(f"""
            COPY (SELECT *, coalesce(CAST(CAST({time_column} AS DATE) AS VARCHAR), 'none') AS {DAY_COLUMN}
                  FROM raw.{table}
                  WHERE coalesce(CAST(CAST({time_column} AS DATE) AS VARCHAR), 'none') IN (SELECT unnest($days)))
            TO '{folder}' (FORMAT parquet, PARTITION_BY ({DAY_COLUMN}), OVERWRITE_OR_IGNORE)""",
                    {"days": changed})
    if empty.exists():
        empty.unlink()
    ledger.write_text(json.dumps(now))
    return LakeWrite(table, total, len(now), len(changed))


def write_raw_lake(con: duckdb.DuckDBPyConnection, lake: Path) -> list[LakeWrite]:
    """Bring every raw table's folder in the lake up to date with the warehouse."""
    return [write_table(con, table, lake) for table in LAKE_TABLES]
