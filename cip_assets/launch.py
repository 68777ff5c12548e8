"""Launch a CIP job on the Dagster instance in DAGSTER_HOME, as the UI and the schedules do.

`cip run` uses this: the same job definition, the same in-process executor, the same instance
(run history, the run queue, asset checks), so a run started here shows in the UI beside the
nightly ones. It waits for a run already writing the warehouse, prints one line per step as it
finishes, and sends library logs to a file.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import dagster as dg
from dagster._core.execution.api import create_execution_plan
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

LAUNCH_TAG = "cip/launch_id"
PID_TAG = "cip/pid"
STEP_EVENTS = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.ASSET_MATERIALIZATION,
               dg.DagsterEventType.ASSET_CHECK_EVALUATION, dg.DagsterEventType.STEP_SUCCESS,
               dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_SKIPPED, dg.DagsterEventType.STEP_UP_FOR_RETRY}


def job_named(name: str) -> dg.JobDefinition:
    """The reconstructable target: the job as the code location defines it."""
    from cip_assets.definitions import defs

    return defs.resolve_job_def(name)


def step_count(job_name: str) -> int:
    return len(create_execution_plan(job_named(job_name)).step_keys_to_execute)


def wait_for_running_runs(instance: dg.DagsterInstance, say: Callable[[str], None], poll_s: float = 5.0) -> None:
    """One writer at a time: wait while another run is in progress. A run this command started in a process
    that has since died (killed, machine restarted) is marked failed instead of waited on forever."""
    announced: set[str] = set()
    while True:
        running = instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES))
        waiting = []
        for record in running:
            run = record.dagster_run
            pid = run.tags.get(PID_TAG)
            if pid and not _alive(int(pid)):
                instance.report_run_failed(run, "its `cip run` process is gone")
                continue
            waiting.append(run)
        if not waiting:
            return
        for run in waiting:
            if run.run_id not in announced:
                say(f"waiting for run {run.run_id[:8]} ({run.job_name}) to finish: the warehouse has one writer")
                announced.add(run.run_id)
        time.sleep(poll_s)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StepReporter:
    """Follows a run's event log and reports each step once it finishes: assets, rows, seconds, checks."""

    def __init__(self, instance: dg.DagsterInstance, launch_id: str, total: int, say: Callable[[str], None]):
        self.instance, self.launch_id, self.total, self.say = instance, launch_id, total, say
        self.done, self.cursor, self.run_id = 0, None, None
        self.steps: dict[str, dict] = {}
        self.stop = threading.Event()

    def follow(self, poll_s: float = 1.0) -> None:
        while not self.stop.wait(poll_s):
            self.poll()
        self.poll()

    def poll(self) -> None:
        if self.run_id is None:
            found = self.instance.get_run_records(dg.RunsFilter(tags={LAUNCH_TAG: self.launch_id}), limit=1)
            if not found:
                return
            self.run_id = found[0].dagster_run.run_id
        while True:
            page = self.instance.get_records_for_run(self.run_id, cursor=self.cursor, of_type=STEP_EVENTS, limit=500)
            for record in page.records:
                self._handle(record.event_log_entry.dagster_event, record.event_log_entry.timestamp)
            self.cursor = page.cursor
            if not page.has_more:
                return

    def _handle(self, event, timestamp: float) -> None:
        if event is None or event.step_key is None:
            return
        step = self.steps.setdefault(event.step_key, {"assets": [], "rows": 0, "passed": 0, "failed": [], "warned": [],
                                                      "started": timestamp})
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_START:
            step["started"] = timestamp
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.event_specific_data.materialization
            step["assets"].append(mat.asset_key.to_user_string())
            rows = mat.metadata.get("dagster/row_count")
            step["rows"] += int(rows.value) if rows is not None and rows.value is not None else 0
            if "skipped" in mat.metadata:
                step["skipped"] = str(mat.metadata["skipped"].value)
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            step.setdefault("checks", []).append(name)
            if evaluation.passed:
                step["passed"] += 1
            else:
                step["warned" if evaluation.severity == dg.AssetCheckSeverity.WARN else "failed"].append(name)
        elif kind == dg.DagsterEventType.STEP_UP_FOR_RETRY:
            self.say(f"           {event.step_key}: retrying")
        else:
            self.done += 1
            self.say(self._line(event, step, timestamp - step["started"]))

    def _line(self, event, step: dict, seconds: float) -> str:
        kind = event.event_type
        assets = step["assets"]
        checks_run = step.get("checks", [])
        what = (assets[0] if len(assets) == 1 else f"{event.step_key} ({len(assets)} assets)" if assets
                else checks_run[0] if len(checks_run) == 1 else event.step_key)
        status = {dg.DagsterEventType.STEP_SUCCESS: "ok", dg.DagsterEventType.STEP_FAILURE: "FAILED",
                  dg.DagsterEventType.STEP_SKIPPED: "skipped"}[kind]
        checks = step["passed"] + len(step["failed"]) + len(step["warned"])
        parts = [f"[{self.done:>3}/{self.total}] {status:<7} {what:<40}",
                 f"{step['rows']:>11,} rows" if step["rows"] else " " * 16, f"{seconds:>7.1f}s"]
        if checks:
            parts.append(f"checks {step['passed']}/{checks} passed"
                         + (f", FAILED {', '.join(step['failed'][:3])}" if step["failed"] else "")
                         + (f", warned {', '.join(step['warned'][:3])}" if step["warned"] else ""))
        if step.get("skipped"):
            parts.append(f"(skipped: {step['skipped']})")
        line = "  ".join(parts).rstrip()
        if kind == dg.DagsterEventType.STEP_FAILURE:
            line += "\n" + _indent(event.event_specific_data.error.to_string())
        return line


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.rstrip().splitlines())


@contextmanager
def output_to(log_file: Path | None) -> Iterator[Callable[[str], None]]:
    """Send everything written to stdout and stderr (dbt, MLflow, progress bars, Dagster's own logs) to
    `log_file`, at the file-descriptor level so child processes follow; yields a `say` that still reaches
    the terminal. `None` leaves the output on screen."""
    if log_file is None:
        yield lambda line: print(line, flush=True)
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_file.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        lock = threading.Lock()

        def say(line: str) -> None:
            with lock:
                os.write(saved[0], (line + "\n").encode())
        try:
            yield say
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def launch(job_name: str, say: Callable[[str], None], log_level: str = "INFO",
           tags: dict[str, str] | None = None) -> dg.ExecuteJobResult:
    """Run the whole job `job_name` on the instance with the job's own executor, as the UI does, reporting
    each step as it finishes."""
    import uuid

    launch_id = uuid.uuid4().hex
    recon = dg.build_reconstructable_job("cip_assets.launch", "job_named", reconstructable_args=(job_name,))
    with dg.DagsterInstance.get() as instance:
        wait_for_running_runs(instance, say)
        reporter = StepReporter(instance, launch_id, step_count(job_name), say)
        follower = threading.Thread(target=reporter.follow, daemon=True)
        follower.start()
        try:
            result = dg.execute_job(
                recon, instance,
                tags={LAUNCH_TAG: launch_id, PID_TAG: str(os.getpid()), "cip/launched_by": "cip run", **(tags or {})},
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}})
        finally:
            reporter.stop.set()
            follower.join(timeout=30)
    return result
