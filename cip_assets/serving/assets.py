"""The scored customer mart and publishing: the read-only copy every reader uses."""

import dagster as dg

from cip_assets.churn.assets import churn_model, churn_scores
from cip_assets.events.assets import events_assets
from cip_assets.feedback.assets import feedback_assets
from cip_assets.marts.assets import cip_dbt_assets, cip_dbt_scores
from cip_assets.monitoring.assets import monitoring_assets
from cip_assets.pricing.assets import pricing_assets
from cip_assets.serving.publish import publish
from cip_assets.value.assets import customer_segments, customer_value
from cip_resources.config import CipSettings

MART_KEYS = [key for key in cip_dbt_assets.keys if key.path[0] == "marts"]
ML_KEYS = [churn_model.key, churn_scores.key, customer_value.key, customer_segments.key]


@dg.asset(
    key=["serving", "published"],
    group_name="serving",
    kinds={"duckdb", "parquet"},
    deps=[*MART_KEYS, *ML_KEYS, *cip_dbt_scores.keys, *(a.key for a in monitoring_assets),
          *(a.key for a in pricing_assets), *(a.key for a in feedback_assets), *(a.key for a in events_assets)],
    owners=["team:data-engineering"],
    description="Copies schemas marts, ml, nlp and monitoring into CIP_HOME/published/cip.duckdb and Parquet with "
    "personal data masked (the copy any SQL tool may read), and unmasked into published/analyst/cip.duckdb for the "
    "dashboard's analysts; both swapped in atomically, so no reader sees a half-written file. A table unchanged since "
    "the last publish is kept, an incremental mart has only its rewritten keys replaced.",
)
def published(context: dg.AssetExecutionContext, settings: CipSettings) -> dg.MaterializeResult:
    paths = settings.paths()
    result = publish(paths.warehouse, paths.published_dir)
    written = {how: sorted(t for t, w in result.written.items() if w == how) for how in ("kept", "delta", "whole")}
    context.log.info(f"published {len(result.tables)} tables to {result.database} (masked) and "
                     f"{result.analyst_database} (analysts): {len(written['kept'])} kept, "
                     f"{len(written['delta'])} with rewritten keys replaced, {len(written['whole'])} copied whole")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(result.database)),
        "parquet": dg.MetadataValue.path(str(result.parquet_dir)),
        "analyst_copy": dg.MetadataValue.path(str(result.analyst_database)),
        "tables": dg.MetadataValue.json(result.tables),
        "tables_kept": len(written["kept"]),
        "tables_keys_replaced": dg.MetadataValue.json(written["delta"]),
        "tables_copied_whole": dg.MetadataValue.json(written["whole"]),
        "dagster/row_count": sum(result.tables.values()),
    })
