"""CIP's table of contents: every domain's assets and checks, the jobs, and the resources."""

from __future__ import annotations

import dagster as dg

from cip_assets.automation import (RUNS_IN_PROCESS, build_all_job, inbox_sensor, nightly_refresh, refresh_job,
                                   retrain_job, weekly_retrain)
from cip_assets.churn.assets import churn_assets, churn_checks
from cip_assets.dashboard_spec import dashboard_spec
from cip_assets.events.assets import events_assets, events_checks
from cip_assets.feedback.assets import feedback_assets, feedback_checks
from cip_assets.ingest.assets import ingest_assets, ingest_checks, rejected_rows
from cip_assets.marts.assets import cip_dbt_assets, cip_dbt_scores
from cip_assets.monitoring.assets import monitoring_assets, monitoring_checks
from cip_assets.monitoring.sensors import monitoring_sensors
from cip_assets.pricing.assets import pricing_assets, pricing_checks
from cip_assets.qa.assets import qa_assets
from cip_assets.serving.assets import published
from cip_assets.value.assets import value_assets, value_checks
from cip_resources.config import CipSettings
from cip_resources.dbt import dbt_resource
from cip_resources.mlflow import MlflowResource
from cip_resources.notifier import NotifierResource
from cip_resources.settings import export_env
from cip_resources.warehouse import WarehouseResource

cip_paths = export_env()  # CIP_DUCKDB_PATH and DAGSTER_HOME, shared with dbt and the Dagster instance

resources = {
    "warehouse": WarehouseResource(database=dg.EnvVar("CIP_DUCKDB_PATH")),
    "settings": CipSettings(),  # reads CIP_CONFIG at run time
    "dbt": dbt_resource(),
    "mlflow_tracking": MlflowResource(cip_home=dg.EnvVar("CIP_HOME")),
    # the log always; a webhook and e-mail when their env vars are set (secrets as dg.EnvVar, masked in the UI)
    "notifier": NotifierResource.from_env(),
}

defs = dg.Definitions(
    assets=[*ingest_assets, rejected_rows, cip_dbt_assets, *churn_assets, *value_assets, *pricing_assets,
            *feedback_assets, *events_assets, cip_dbt_scores, *monitoring_assets, published, *qa_assets,
            dashboard_spec],
    asset_checks=[*ingest_checks, *churn_checks, *pricing_checks, *feedback_checks, *events_checks,
                  *monitoring_checks, *value_checks],
    jobs=[build_all_job, refresh_job, retrain_job],
    schedules=[nightly_refresh, weekly_retrain],
    sensors=[inbox_sensor, *monitoring_sensors],
    resources=resources,
    executor=RUNS_IN_PROCESS,  # also for assets materialized from the UI outside these jobs
)
