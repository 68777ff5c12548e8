"""Jobs, the nightly schedule and the inbox sensor."""


import json

import dagster as dg

from cip_assets.ingest.pipeline import inbox_sources
from cip_resources.settings import paths

TRAINED_WEEKLY = [dg.AssetKey(["ml", "churn_model"]), dg.AssetKey(["ml", "uplift_model"]),
                  dg.AssetKey(["nlp", "sentiment_model"]), dg.AssetKey(["ml", "propensity_model"]),
                  dg.AssetKey(["ml", "next_action_model"])]
RUNS_IN_PROCESS = dg.in_process_executor  # one process writes the warehouse: DuckDB's single writer, by design

build_all_job = dg.define_asset_job(
    "build_all", selection=dg.AssetSelection.all(), executor_def=RUNS_IN_PROCESS,
    description="Everything in the data's order: ingest, the dbt marts, train and gate every model, score, "
    "monitor, publish, index for `cip ask`. The first run on a new home (`cip run` launches it).",
)

refresh_job = dg.define_asset_job(
    "refresh", selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*TRAINED_WEEKLY),
    executor_def=RUNS_IN_PROCESS,
    description="Ingest every source, build the dbt marts (tests as checks), score with the champion models, "
    "monitor, publish the read-only copy. Models retrain weekly (`retrain`).",
)

retrain_job = dg.define_asset_job(
    "retrain",
    selection=(dg.AssetSelection.groups("ml", "pricing", "nlp", "events")
               | dg.AssetSelection.assets(*TRAINED_WEEKLY).downstream().materializable()),
    executor_def=RUNS_IN_PROCESS,
    description="Retrain the models out of time on the current warehouse, gate them against their baselines, "
    "then rebuild everything they feed: scores, customer_scores, monitoring, the published copy, the QA index.",
)

weekly_retrain = dg.ScheduleDefinition(
    name="weekly_retrain", job=retrain_job, cron_schedule="0 3 * * 0", execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

nightly_refresh = dg.ScheduleDefinition(
    name="nightly_refresh", job=refresh_job, cron_schedule="0 2 * * *", execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


@dg.sensor(job=refresh_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def inbox_sensor(context: dg.SensorEvaluationContext):
    """A new or changed file in CIP_HOME/inbox/<adapter>/ launches a refresh (one run per file version)."""
    seen = json.loads(context.cursor) if context.cursor else {}
    new = {}
    for source in inbox_sources(paths()):
        stat = source.path.stat()
        version = f"{stat.st_size}-{int(stat.st_mtime)}"
        if seen.get(str(source.path)) != version:
            new[str(source.path)] = version
    if not new:
        return dg.SkipReason("no new files in the inbox")
    context.update_cursor(json.dumps({**seen, **new}))
    return dg.RunRequest(run_key="|".join(f"{p}@{v}" for p, v in sorted(new.items())),
                         tags={"cip/inbox_files": ", ".join(sorted(new))})
