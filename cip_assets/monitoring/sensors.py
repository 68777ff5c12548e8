"""Sensors that deliver new alerts and failed runs to the notifier (the alerts themselves are an asset)."""

from datetime import datetime, timezone

import dagster as dg
import duckdb

from cip_assets.monitoring.alerts import deliver
from cip_resources.notifier import NotifierResource
from cip_resources.settings import paths
from cip_resources.tables import table_exists


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def alert_sensor(context: dg.SensorEvaluationContext, notifier: NotifierResource):
    """Sends each channel the open alerts (read from the published copy) it does not have yet. The cursor is a
    per-channel ledger of alert ids, not a time: a failed channel retries next tick without the others
    repeating, and no clock change can make it skip an alert."""
    database = paths().published_db
    if not database.exists():
        return dg.SkipReason("nothing published yet")
    with duckdb.connect(str(database), read_only=True) as con:
        if not table_exists(con, "monitoring", "alerts"):
            return dg.SkipReason("no alerts table published yet")
        rows = con.execute("SELECT * FROM monitoring.alerts WHERE status = 'open' ORDER BY created_at, id")
        names = [column[0] for column in rows.description]
        open_alerts = [dict(zip(names, row)) for row in rows.fetchall()]
    cursor, outcome = deliver(open_alerts, context.cursor, notifier.channels(), notifier.send)
    if cursor != context.cursor:
        context.update_cursor(cursor)
    failed = {channel: what for channel, what in outcome.items() if what.startswith("failed")}
    for channel, what in failed.items():
        context.log.error(f"alert channel {channel}: {what}")
    if not outcome:
        return dg.SkipReason("no new alerts")
    summary = "; ".join(f"{channel}: {what}" for channel, what in outcome.items())
    return dg.SkipReason(f"delivery failed on {', '.join(failed)}, will retry. {summary}" if failed else summary)


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.RUNNING)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, notifier: NotifierResource):
    """A failed run is an alert too: the last good published copy stays, but someone must look. Every channel is
    tried; Dagster moves this sensor's cursor on even when one fails (no repeats to the others), and the error
    shows on the tick."""
    run = context.dagster_run
    notifier.notify([{"id": f"run:{run.run_id}", "severity": "critical", "kind": "run_failure",
                      "entity": run.job_name, "message": f"run {run.run_id} of job {run.job_name} failed: "
                                                         f"{context.failure_event.message or 'see the Dagster UI'}",
                      "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}])


monitoring_sensors = [alert_sensor, run_failure_alert_sensor]
