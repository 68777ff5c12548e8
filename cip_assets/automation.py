"""Jobs, the nightly schedule and the inbox sensor."""


import json
import time

import dagster as dg

from cip_assets.ingest.pipeline import InboxFileError, check_config, inbox_files, inbox_source, quarantine
from cip_assets.ingest.readers import IngestLimits
from cip_resources.settings import ConfigError, load_config, paths

TRAINED_WEEKLY = [dg.AssetKey(["ml", "churn_model"]), dg.AssetKey(["ml", "uplift_model"]),
                  dg.AssetKey(["nlp", "sentiment_model"]), dg.AssetKey(["ml", "propensity_model"]),
                  dg.AssetKey(["ml", "next_action_model"]), dg.AssetKey(["ml", "customer_value_model"]),
                  dg.AssetKey(["ml", "customer_segments_model"])]
RUNS_IN_PROCESS = dg.in_process_executor  # one process writes the warehouse: DuckDB's single writer, by design
# the jobs that train fit the topics again; the nightly refresh keeps them (new texts join their nearest topic)
REFIT_TOPICS = {"ops": {"nlp__feedback_topics": {"config": {"refit": True}}}}

build_all_job = dg.define_asset_job(
    "build_all", selection=dg.AssetSelection.all(), executor_def=RUNS_IN_PROCESS, config=REFIT_TOPICS,
    description="Everything in the data's order: ingest, the dbt marts, train and gate every model, score, "
    "monitor, publish, index for `cip ask`. The first run on a new home (`cip run` launches it).",
)

refresh_job = dg.define_asset_job(
    "refresh", selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*TRAINED_WEEKLY),
    executor_def=RUNS_IN_PROCESS,
    description="Ingest every source, build the dbt marts (tests as checks), score with the champion models, "
    "monitor, publish the read-only copy. Models retrain weekly (`retrain`); the feedback topics are kept and "
    "only new texts join them.",
)

retrain_job = dg.define_asset_job(
    "retrain",
    selection=(dg.AssetSelection.groups("ml", "pricing", "nlp", "events")
               | dg.AssetSelection.assets(*TRAINED_WEEKLY).downstream().materializable()),
    executor_def=RUNS_IN_PROCESS, config=REFIT_TOPICS,
    description="Retrain the models out of time on the current warehouse, gate them against their baselines, "
    "fit the feedback topics again, then rebuild everything they feed: scores, customer_scores, monitoring, the "
    "published copy, the QA index.",
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
    """A new or changed file in CIP_HOME/inbox/<adapter>/ launches a refresh (one run per file version), once it
    is complete: its size and modification time (and its sidecar's) are the same as at the previous tick, or it
    has not changed for `ingest.inbox_settle_seconds`. A file with a malformed sidecar or of an unknown type is
    quarantined (inbox/_quarantine/<adapter>/, the reason beside it) instead of launching a run. A config that
    does not validate launches nothing: the skip reason names the problem."""
    try:
        config = load_config()
        check_config(config)
        limits = IngestLimits.from_config(config.raw)
    except ConfigError as exc:
        return dg.SkipReason(f"config error, no inbox run until it is fixed: {exc}")
    requested, seen = _inbox_cursor(context.cursor)
    new, waiting, set_aside, now = {}, {}, [], time.time()
    p = paths()
    for item in inbox_files(p):
        key = str(item.path)
        try:
            version = item.version()
            settled = seen.get(key) == version or item.age_seconds(now) >= limits.inbox_settle_seconds
        except FileNotFoundError:  # moved or deleted while we looked
            continue
        if requested.get(key) == version:
            continue
        if not settled:
            waiting[key] = version
            continue
        try:
            inbox_source(item)
        except InboxFileError as exc:
            quarantine(p, item, str(exc))
            set_aside.append(f"{item.name}: {exc}")
            continue
        new[key] = version
    present = {str(item.path) for item in inbox_files(p)}
    requested = {k: v for k, v in {**requested, **new}.items() if k in present}
    context.update_cursor(json.dumps({"requested": requested, "seen": waiting}))
    if not new:
        notes = ([f"{len(waiting)} file(s) still arriving: {', '.join(sorted(waiting))}"] if waiting else [])
        notes += [f"quarantined {s}" for s in set_aside]
        return dg.SkipReason("; ".join(notes) or "no new files in the inbox")
    return dg.RunRequest(run_key="|".join(f"{k}@{v}" for k, v in sorted(new.items())),
                         tags={"cip/inbox_files": ", ".join(sorted(new))})


def _inbox_cursor(cursor: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """(file -> version a run was requested for, file -> version seen last tick but not yet taken)."""
    try:
        data = json.loads(cursor) if cursor else {}
    except json.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        return {}, {}
    if "requested" not in data and "seen" not in data:  # the cursor of an older CIP: file -> version requested
        return {k: v for k, v in data.items() if isinstance(v, str)}, {}
    return dict(data.get("requested") or {}), dict(data.get("seen") or {})
