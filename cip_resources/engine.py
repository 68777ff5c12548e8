"""Where the dbt project runs: DuckDB (the default, one file, no Java) or Spark (the same models).

One setting chooses: `CIP_ENGINE` if set, else `engine:` in `cip.yaml`. On Spark, the marts asset
writes the raw lake first (cip_resources/lake.py), runs dbt with the `spark` target (profiles.yml:
a local session by default; a Thrift server or a cluster in production, see the README), and then
links every table Spark built into the warehouse file as a DuckDB view over Spark's own Parquet
files, so the Python assets, the published copy and the dashboard read the same relations whatever
the engine.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np

from cip_resources.settings import CipConfig

ENGINES = ("duckdb", "spark")
DBT_TARGETS = {"duckdb": "dev", "spark": "spark"}
DBT_SCHEMAS = ("staging", "intermediate", "marts")  # what the dbt project builds (generate_schema_name)


def engine_of(config: CipConfig) -> str:
    chosen = os.environ.get("CIP_ENGINE") or config.raw.get("engine") or "duckdb"
    if chosen not in ENGINES:
        raise ValueError(f"CIP_ENGINE={chosen!r}: expected one of {', '.join(ENGINES)}")
    return chosen


def spark_tables(spark_path: Path, schemas: tuple[str, ...] = DBT_SCHEMAS) -> dict[tuple[str, str], Path]:
    """(schema, table) -> folder of each table Spark wrote under its warehouse dir (`<schema>.db/<table>`)."""
    found = {}
    for schema in schemas:
        for folder in sorted((spark_path / "warehouse" / f"{schema}.db").glob("*")):
            if folder.is_dir() and any(folder.glob("*.parquet")):
                found[(schema, folder.name)] = folder
    return found


def link_spark_tables(con: duckdb.DuckDBPyConnection, spark_path: Path) -> list[str]:
    """Each table Spark built becomes a view of the same name in the warehouse, reading its files in place."""
    linked = []
    for (schema, table), folder in spark_tables(spark_path).items():
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = ? "
                           "AND table_name = ?", [schema, table]).fetchone()
        if kind and kind[0] != "VIEW":  # a table an earlier DuckDB build left
            con.execute(f'DROP TABLE "{schema}"."{table}"')
        files = str(folder / "*.parquet").replace("'", "''")
        con.execute(f"""CREATE OR REPLACE VIEW "{schema}"."{table}" AS SELECT * FROM read_parquet('{files}')""")
        linked.append(f"{schema}.{table}")
    return linked


def rows_differing(con: duckdb.DuckDBPyConnection, left: str, right: str, rtol: float = 1e-9,
                   atol: float = 1e-9) -> int:
    """How many rows of relation `left` differ from `right`, row by row after sorting both the same way:
    every column equal, doubles within `rtol` or `atol` (the engines add floats in different orders: a
    decile's revenue of 199,542,995.5075 may differ in its 16th digit, a net of zero be 1e-14). Different
    columns count every row."""
    a, b = (con.execute(f"SELECT * FROM {relation}").df() for relation in (left, right))
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return max(len(a), len(b))
    doubles = [c for c in a.columns if a[c].dtype.kind == "f"]
    others = [c for c in a.columns if c not in doubles]

    def ordered(frame):
        keys = frame[others].astype(str).assign(**{f"_{c}": frame[c].round(6) for c in doubles})
        return frame.loc[keys.sort_values(list(keys.columns)).index].reset_index(drop=True)

    a, b = ordered(a), ordered(b)
    differs = (a[others].astype(str) != b[others].astype(str)).any(axis=1)
    for column in doubles:
        x, y = a[column].to_numpy(float), b[column].to_numpy(float)
        differs |= ~(np.isclose(x, y, rtol=rtol, atol=atol) | (np.isnan(x) & np.isnan(y)))
    return int(differs.sum())
