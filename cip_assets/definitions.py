"""CIP's table of contents: every domain's assets and checks, the jobs, and the resources."""

from __future__ import annotations

import dagster as dg

from cip_assets.automation import inbox_sensor, nightly_refresh, refresh_job, retrain_job, weekly_retrain
from cip_assets.churn.assets import churn_assets, churn_checks
from cip_assets.ingest.assets import ingest_assets, ingest_checks, rejected_rows
from cip_assets.marts.assets import cip_dbt_assets
from cip_assets.serving.assets import customer_scores, published
from cip_assets.value.assets import value_assets
from cip_resources.config import CipSettings
from cip_resources.dbt import dbt_resource
from cip_resources.mlflow import MlflowResource
from cip_resources.settings import export_env
from cip_resources.warehouse import WarehouseResource

cip_paths = export_env()  # CIP_DUCKDB_PATH and DAGSTER_HOME, shared with dbt and the Dagster instance

resources = {
    "warehouse": WarehouseResource(database=dg.EnvVar("CIP_DUCKDB_PATH")),
    "settings": CipSettings(),  # reads CIP_CONFIG at run time
    "dbt": dbt_resource(),
    "mlflow_tracking": MlflowResource(cip_home=dg.EnvVar("CIP_HOME")),
}

defs = dg.Definitions(
    assets=[*ingest_assets, rejected_rows, cip_dbt_assets, *churn_assets, *value_assets, customer_scores, published],
    asset_checks=[*ingest_checks, *churn_checks],
    jobs=[refresh_job, retrain_job],
    schedules=[nightly_refresh, weekly_retrain],
    sensors=[inbox_sensor],
    resources=resources,
)
