"""One ingest asset per raw table, with Great Expectations and reconciliation checks."""


import dagster as dg

from cip_assets.ingest.contract import RAW_TABLES, RawTable
from cip_assets.ingest.pipeline import ingest_table
from cip_assets.ingest.quality import validate_table
from cip_assets.serving.privacy import scrub_text
from cip_resources.config import CipSettings
from cip_resources.warehouse import WarehouseResource


def _results_markdown(results) -> str:
    lines = ["| source | file | read | loaded | rejected | already loaded | duplicates | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        note = (r.note or "").replace("|", "/") if r.note else "unchanged, skipped" if r.unchanged else \
            "; ".join(f"{k} ({v})" for k, v in r.top_reasons.items())
        lines.append(f"| {r.source} | {r.file} | {r.rows_read} | {r.rows_loaded} | {r.rows_rejected} "
                     f"| {r.rows_already_loaded} | {r.rows_duplicate} | {note} |")
    return "\n".join(lines)


def build_ingest_asset(table: RawTable) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", table.name],
        group_name="ingest",
        kinds={"duckdb", "polars"},
        owners=["team:data-engineering"],
        description=f"raw.{table.name}: {table.grain}, from every configured source that feeds it. "
        "Rows failing the contract's hard rules (or that cannot be parsed or decoded) go to raw.rejected_rows; a "
        "file already ingested is skipped, and rows already loaded from another file are counted, not loaded "
        "again. A bad inbox file is moved to inbox/_quarantine/ with the reason, and the others load.",
    )
    def _ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                settings: CipSettings) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            results = ingest_table(con, settings.config(), table.name, settings.paths())
            total = con.execute(f"SELECT count(*) FROM {table.qualified}").fetchone()[0]
        for r in results:
            if r.note:
                context.log.warning(f"{r.source} -> raw.{table.name}: {r.note}")
                continue
            context.log.info(f"{r.source} -> raw.{table.name}: read {r.rows_read}, loaded {r.rows_loaded}, "
                             f"rejected {r.rows_rejected}, already loaded {r.rows_already_loaded}, "
                             f"duplicates {r.rows_duplicate}"
                             + (" (unchanged file, skipped)" if r.unchanged else ""))
        return dg.MaterializeResult(metadata={
            "dagster/row_count": total,
            "rows_read": sum(r.rows_read for r in results),
            "rows_loaded": sum(r.rows_loaded for r in results),
            "rows_rejected": sum(r.rows_rejected for r in results),
            "rows_already_loaded": sum(r.rows_already_loaded for r in results),
            "rows_duplicate": sum(r.rows_duplicate for r in results),
            "reconciles": all(r.reconciles for r in results),
            "inbox_files_set_aside": sum(1 for r in results if r.note),
            "sources": dg.MetadataValue.md(scrub_text(_results_markdown(results)) if results  # reasons quote values
                                           else f"No configured source feeds raw.{table.name}; the table is empty."),
        })

    return _ingest


def build_quality_checks(table: RawTable) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(asset=dg.AssetKey(["raw", table.name]), name="great_expectations",
                    description=f"Great Expectations suite for raw.{table.name}: null keys, types, ranges, "
                    "allowed values, dates not in the future, unique keys.")
    def _gx(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            outcome = validate_table(con, table.name)
        return dg.AssetCheckResult(passed=outcome["success"], metadata={
            "rows_in_table": outcome["rows_in_table"], "rows_checked": outcome["rows_checked"],
            "expectations": outcome["expectations"], "failed": dg.MetadataValue.json(outcome["failed"])})

    @dg.asset_check(asset=dg.AssetKey(["raw", table.name]), name="rejects_recorded",
                    description="Every row the ledger counts as rejected is in raw.rejected_rows (per source), and "
                    "every ingested file reconciles: read = loaded + rejected + already loaded + duplicates.")
    def _reconcile(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            mismatches = con.execute(
                """WITH ledger AS (SELECT source, sum(rows_rejected) AS counted,
                                          sum(rows_read - rows_loaded - rows_rejected - rows_already_loaded
                                              - coalesce(rows_duplicate, 0)) AS gap
                                   FROM raw.ingest_ledger WHERE raw_table = ? GROUP BY ALL),
                        kept AS (SELECT source, count(*) AS kept FROM raw.rejected_rows
                                 WHERE raw_table = ? GROUP BY ALL)
                   SELECT l.source, l.counted, coalesce(k.kept, 0), l.gap
                   FROM ledger l LEFT JOIN kept k USING (source)
                   WHERE l.counted <> coalesce(k.kept, 0) OR l.gap <> 0""",
                [table.name, table.name]).fetchall()
        return dg.AssetCheckResult(passed=not mismatches, metadata={
            "mismatches": dg.MetadataValue.json([list(map(str, m)) for m in mismatches])})

    return [_gx, _reconcile]


ingest_assets = [build_ingest_asset(t) for t in RAW_TABLES.values()]
ingest_checks = [check for t in RAW_TABLES.values() for check in build_quality_checks(t)]
rejected_rows = dg.AssetSpec(
    key=["raw", "rejected_rows"], group_name="ingest", kinds={"duckdb"},
    deps=[a.key for a in ingest_assets],
    description="raw.rejected_rows: one row per input row that failed validation (source, file, row number, "
    "reason naming the column, the original row as JSON). Written by the ingest assets.",
)
