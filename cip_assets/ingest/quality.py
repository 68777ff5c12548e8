"""Great Expectations suites for the raw tables, derived from the contract.

The hard rules already route bad rows to `raw.rejected_rows` at load time; these suites
check the loaded tables independently (null keys, types, ranges, allowed values, dates not
in the future), so a bug in an adapter or a hand-written load shows up as a failed check.
Large tables are validated on a fixed-seed reservoir sample.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig

from cip_assets.ingest.contract import CHANNELS, EVENT_TYPES, RAW_TABLES, STATUSES

SAMPLE_ROWS = 200_000
_PANDAS_KINDS = {"DOUBLE": ["float64"], "INTEGER": ["int32", "int64", "float64"],
                 "TIMESTAMP": ["datetime64[ns]", "datetime64[us]"], "BOOLEAN": ["bool", "boolean", "object"]}
_ALLOWED = {("order_lines", "status"): STATUSES, ("events", "event_type"): EVENT_TYPES,
            ("feedback", "channel"): CHANNELS}
_RANGES = {("order_lines", "unit_price"): (0, None), ("order_lines", "quantity"): (1, None),
           ("order_lines", "discount_pct"): (0, 100), ("campaign_exposures", "discount_pct"): (0, 100),
           ("feedback", "rating"): (1, 5), ("customers", "age"): (0, 120), ("events", "price"): (0, None),
           ("campaign_exposures", "spend"): (0, None)}


def build_suite(table_name: str) -> gx.ExpectationSuite:
    table = RAW_TABLES[table_name]
    ex = gx.expectations
    expectations = [ex.ExpectColumnValuesToNotBeNull(column=c) for c in table.required]
    for column, duck_type in table.columns.items():
        if duck_type in _PANDAS_KINDS:
            expectations.append(ex.ExpectColumnValuesToBeInTypeList(column=column, type_list=_PANDAS_KINDS[duck_type]))
        if duck_type == "TIMESTAMP":
            expectations.append(ex.ExpectColumnValuesToBeBetween(
                column=column, max_value=datetime.now() + timedelta(days=1), min_value=datetime(1990, 1, 1)))
    for (t, column), values in _ALLOWED.items():
        if t == table_name:
            expectations.append(ex.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)))
    for (t, column), (low, high) in _RANGES.items():
        if t == table_name:
            expectations.append(ex.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    if table.key:
        expectations.append(ex.ExpectCompoundColumnsToBeUnique(column_list=list(table.key))
                            if len(table.key) > 1 else ex.ExpectColumnValuesToBeUnique(column=table.key[0]))
    return gx.ExpectationSuite(name=f"raw_{table_name}", expectations=expectations)


def validate_table(con: duckdb.DuckDBPyConnection, table_name: str, sample_rows: int = SAMPLE_ROWS) -> dict:
    """Run the table's suite; returns success, counts and the failed expectations."""
    total = con.execute(f"SELECT count(*) FROM raw.{table_name}").fetchone()[0]
    sample = f" USING SAMPLE {sample_rows} ROWS (reservoir, 42)" if total > sample_rows else ""
    frame = con.execute(f"SELECT * EXCLUDE (attributes) FROM raw.{table_name}{sample}"
                        if "attributes" in RAW_TABLES[table_name].columns
                        else f"SELECT * FROM raw.{table_name}{sample}").df()
    # nullable integers arrive as pandas extension dtypes, which GX's type check does not name
    frame = frame.astype({c: "float64" for c, t in frame.dtypes.items() if str(t) in ("Int32", "Int64")})
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (context.data_sources.add_pandas("warehouse").add_dataframe_asset(table_name)
             .add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame}))
    suite = build_suite(table_name)
    # a column with no values at all has no type to check (pandas reads it as object)
    empty = {c for c in frame.columns if len(frame) and frame[c].isna().all()}
    suite.expectations = [e for e in suite.expectations if getattr(e, "column", None) != "attributes"
                          and not (e.expectation_type == "expect_column_values_to_be_in_type_list" and e.column in empty)]
    result = batch.validate(suite)
    failed = [
        {"expectation": r.expectation_config.type, "column": r.expectation_config.kwargs.get("column"),
         "unexpected_count": (r.result or {}).get("unexpected_count")}
        for r in result.results if not r.success
    ]
    return {"success": bool(result.success), "rows_in_table": total, "rows_checked": len(frame),
            "expectations": len(result.results), "failed": failed}
