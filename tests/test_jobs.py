"""The jobs as the UI, the schedules and `cip run` launch them: the data's order, one process, one run at a time."""

import json

import dagster as dg
import pytest
import yaml
from dagster._core.execution.api import create_execution_plan

SCORING = ["ml/churn_scores", "ml/purchase_propensity", "ml/next_action_scores", "ml/offer_recommendations",
           "nlp/feedback_sentiment", "nlp/feedback_aspects"]


def asset_levels(job_name: str) -> dict[str, int]:
    """Asset key (as a string) -> the level of the step that materializes it in the job's execution plan."""
    from cip_assets.definitions import defs

    job = defs.resolve_job_def(job_name)
    plan = create_execution_plan(job)
    level_of_step = {step.key: level for level, steps in enumerate(plan.get_steps_to_execute_by_level())
                     for step in steps}
    graph = job.asset_layer.asset_graph
    steps = {key.to_user_string(): graph.get(key).assets_def.node_def.name for key in graph.executable_asset_keys}
    return {key: level_of_step[step] for key, step in steps.items() if step in level_of_step}


@pytest.mark.parametrize("job_name", ["refresh", "build_all"])
def test_a_refresh_ingests_then_builds_marts_then_scores_then_publishes(cip_home, job_name):
    levels = asset_levels(job_name)
    ingest = max(levels[f"raw/{t}"] for t in ("customers", "order_lines", "events", "feedback",
                                              "campaign_exposures", "customer_labels"))
    marts = levels["marts/customer_360"]
    assert levels["staging/stg_order_lines"] == marts  # one `dbt build` step
    assert ingest < marts
    for key in SCORING:
        assert marts < levels[key] < levels["marts/customer_scores"], key
    assert levels["marts/customer_scores"] < levels["monitoring/alerts"] < levels["serving/published"]
    assert levels["serving/published"] < levels["qa/index"]
    # nothing reads yesterday's tables: the only steps with no upstream step are the ingest assets
    roots = {k for k, level in levels.items() if level == 0}
    assert roots and all(k.startswith("raw/") for k in roots), roots


def test_the_weekly_retrain_rebuilds_everything_its_models_feed(cip_home):
    levels = asset_levels("retrain")
    models = ["ml/churn_model", "ml/uplift_model", "nlp/sentiment_model", "ml/propensity_model", "ml/next_action_model",
              "ml/customer_value_model", "ml/customer_segments_model"]
    assert all(m in levels for m in models)
    nightly = asset_levels("refresh")  # the nightly run scores with the champions, it trains nothing
    assert not any(m in nightly for m in models)
    assert {"ml/churn_scores", "ml/customer_value", "ml/customer_segments"} <= set(nightly)
    for downstream in ("ml/churn_scores", "marts/customer_scores", "monitoring/alerts", "serving/published", "qa/index"):
        assert downstream in levels, downstream
    assert max(levels[m] for m in models) < levels["marts/customer_scores"] < levels["serving/published"]
    assert not any(k.startswith("raw/") for k in levels)  # it trains on the warehouse as it stands
    # the jobs that train fit the feedback topics again; the nightly one keeps them (new texts join the nearest)
    from cip_assets.definitions import defs

    refit = {name: (defs.resolve_job_def(name).run_config or {}).get("ops", {}).get("nlp__feedback_topics", {})
             .get("config", {}).get("refit", False) for name in ("build_all", "retrain", "refresh")}
    assert refit == {"build_all": True, "retrain": True, "refresh": False}


def test_every_job_writes_the_warehouse_from_one_process(cip_home):
    from cip_assets.definitions import defs

    for name in ("build_all", "refresh", "retrain"):
        assert defs.resolve_job_def(name).executor_def.name == "in_process", name
    # assets materialized from the UI outside a named job use the same executor
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "in_process"


def test_runs_queue_one_at_a_time_on_the_instance(cip_home):
    from cip_resources.settings import export_env

    paths = export_env()
    settings = yaml.safe_load((paths.dagster_home / "dagster.yaml").read_text())
    assert settings["concurrency"]["runs"]["max_concurrent_runs"] == 1
    with dg.DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def test_a_dagster_yaml_of_the_users_own_is_left_alone(tmp_path):
    from cip_resources.instance import write_instance_settings

    own = tmp_path / "dagster.yaml"
    own.write_text("concurrency:\n  runs:\n    max_concurrent_runs: 3\n")
    write_instance_settings(tmp_path)
    assert "max_concurrent_runs: 3" in own.read_text()


@pytest.mark.long
def test_day_two_refresh_on_the_real_instance_while_readers_read(synthetic_run_home, tmp_path, monkeypatch):
    """Day two as the nightly schedule and the inbox sensor run it: yesterday's home (the session's `cip run`),
    a day of new orders and two reviews dropped in the inbox, then `cip run --job refresh`, which executes the
    `refresh` job on the home's DagsterInstance with the job's own executor, as a run the UI lists. Meanwhile a
    reader opens the published copy again and again. The new rows land once, before the scores are made; the
    scores move; the same sources again load nothing; the reader never sees a lock or half a file."""
    import os
    import shutil
    import subprocess
    import sys
    import time

    import duckdb
    import pandas as pd

    home = tmp_path / "home"
    shutil.copytree(synthetic_run_home, home, ignore=shutil.ignore_patterns("qa_index*", "reports", "logs"))
    for name, value in {"CIP_HOME": home, "CIP_DUCKDB_PATH": home / "warehouse.duckdb",
                        "DAGSTER_HOME": home / "dagster"}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("CIP_CONFIG", raising=False)
    published = home / "published" / "cip.duckdb"

    def counts(con) -> tuple:
        return con.execute("SELECT (SELECT count(*) FROM raw.order_lines), (SELECT count(*) FROM raw.events), "
                           "(SELECT count(*) FROM raw.feedback), (SELECT count(*) FROM raw.rejected_rows), "
                           "(SELECT count(*) FROM raw.ingest_ledger)").fetchone()

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        before = con.execute("SELECT customer_id, churn_probability, as_of FROM ml.churn_scores").df()
        lines, events, feedback, rejected, ledger = counts(con)
        last_day = con.execute("SELECT max(ordered_at)::DATE FROM raw.order_lines").fetchone()[0]
        topics_before = con.execute("SELECT * FROM nlp.feedback_topic_assignments ORDER BY feedback_id").df()
        fitted_before = con.execute("SELECT max(fitted_at) FROM nlp.feedback_topic_model").fetchone()[0]
    with duckdb.connect(str(published), read_only=True) as con:
        customers = con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0]

    buyers = before.sort_values("churn_probability", ascending=False).customer_id.head(200).tolist()
    orders = pd.DataFrame({"order_id": [f"DAY2-{i}" for i in range(len(buyers))], "line_no": 1,
                           "customer_id": buyers, "ordered_at": pd.Timestamp(last_day) + pd.Timedelta(days=1, hours=10),
                           "product_id": "P-DAY2", "product_name": "Day two special", "category": "Apparel",
                           "quantity": 2, "unit_price": 40.0, "discount_pct": 0.0, "status": "completed"})
    (home / "inbox" / "table").mkdir(parents=True, exist_ok=True)
    orders.to_csv(home / "inbox" / "table" / "orders_day_two.csv", index=False)
    (home / "inbox" / "table" / "orders_day_two.csv.json").write_text(json.dumps(
        {"table": "order_lines", "columns": {c: c for c in orders.columns}}))
    (home / "inbox" / "reviews").mkdir(parents=True, exist_ok=True)
    (home / "inbox" / "reviews" / "more.csv").write_text("text,rating\nlovely,5\nawful,1\n")
    for dropped in (home / "inbox").rglob("*.*"):  # copied a minute ago: complete, as the sensor sees it
        os.utime(dropped, (time.time() - 60, time.time() - 60))

    from cip_assets.definitions import defs

    with dg.DagsterInstance.get() as instance:  # the sensor sees both files and asks for one refresh
        request = defs.resolve_sensor_def("inbox_sensor")(dg.build_sensor_context(instance=instance))
    assert isinstance(request, dg.RunRequest)
    assert "orders_day_two.csv" in request.tags["cip/inbox_files"] and "more.csv" in request.tags["cip/inbox_files"]

    refresh = subprocess.Popen([sys.executable, "-m", "cip_assets.cli", "run", "--job", "refresh"],
                               env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    reads, errors = 0, []
    while refresh.poll() is None:
        try:
            with duckdb.connect(str(published), read_only=True) as con:
                assert con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0] == customers
            reads += 1
        except duckdb.Error as exc:  # a lock or a half-written file would land here
            errors.append(str(exc))
        time.sleep(0.05)
    output = refresh.stdout.read()
    assert refresh.returncode == 0, output[-3000:]
    assert "job refresh" in output and "CIP run succeeded" in output
    assert errors == [] and reads > 20

    with dg.DagsterInstance.get() as instance:  # the run is on the instance, as the UI shows it
        (record,) = instance.get_run_records(dg.RunsFilter(job_name="refresh"))
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        logs = instance.all_logs(record.dagster_run.run_id)
    # the data's order, as it ran: ingest, then the marts, then the scores, then publishing
    events_in_order = [(e.dagster_event.event_type_value, e.dagster_event.step_key) for e in logs
                       if e.dagster_event and e.dagster_event.event_type_value in ("STEP_START", "STEP_SUCCESS")]
    position = {event: i for i, event in enumerate(events_in_order)}

    def before_(first: str, then: str) -> bool:
        return position[("STEP_SUCCESS", first)] < position[("STEP_START", then)]

    assert before_("raw__order_lines", "cip_dbt_assets") and before_("raw__feedback", "cip_dbt_assets")
    assert before_("cip_dbt_assets", "ml__churn_scores") and before_("cip_dbt_assets", "ml__purchase_propensity")
    assert before_("ml__churn_scores", "cip_dbt_scores")  # the second dbt selection: marts.customer_scores
    assert before_("cip_dbt_scores", "serving__published") and before_("serving__published", "qa__index")

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        # the new rows once; the files of yesterday again load nothing and add no ledger row
        assert counts(con) == (lines + len(buyers), events, feedback + 2, rejected, ledger + 2)
        assert con.execute("SELECT rows_loaded FROM raw.ingest_ledger WHERE file LIKE '%orders_day_two.csv'"
                           ).fetchall() == [(len(buyers),)]
        after = con.execute("SELECT customer_id, churn_probability, as_of FROM ml.churn_scores").df()
        night = con.execute("SELECT mode, scored, kept FROM ml.churn_scoring_runs ORDER BY scored_at DESC LIMIT 1"
                            ).fetchone()
        topics_after = con.execute("SELECT * FROM nlp.feedback_topic_assignments ORDER BY feedback_id").df()
        fitted_after = con.execute("SELECT max(fitted_at) FROM nlp.feedback_topic_model").fetchone()[0]
    # the night kept yesterday's topics: every earlier text keeps its topic, the two new reviews joined one
    assert fitted_after == fitted_before is not None
    kept = topics_after[topics_after.feedback_id.isin(topics_before.feedback_id)].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, topics_before)
    assert len(topics_after) == len(topics_before) + 2
    assert after.as_of.max() > before.as_of.max()  # scored as of the new last day
    # a night after the full scoring of `build_all` (tests/test_churn_nightly.py: the customers it scores again)
    mode, scored, kept = night
    assert mode == "nightly" and scored + kept == len(after)
    assert set(buyers) <= set(after.customer_id[after.as_of == after.as_of.max()])
    moved = before.merge(after, on="customer_id", suffixes=("_before", "_after"))
    moved = moved[moved.customer_id.isin(buyers)]
    assert len(moved) == len(buyers)
    assert (moved.churn_probability_after < moved.churn_probability_before).mean() > 0.9  # a purchase lowers risk
    with duckdb.connect(str(published), read_only=True) as con:
        shown = con.execute("SELECT avg(churn_probability) FROM marts.customer_scores WHERE customer_id IN "
                            f"({', '.join(repr(b) for b in buyers)})").fetchone()[0]
    assert abs(shown - moved.churn_probability_after.mean()) < 1e-9


def test_cip_run_waits_for_a_run_in_progress_and_not_for_a_dead_one():
    """One writer: `cip run` waits while another run writes the warehouse, but a run whose `cip run` process
    died (killed, machine restarted) is marked failed instead of blocking every later run."""
    import subprocess
    import sys
    import threading

    from cip_assets.launch import PID_TAG, wait_for_running_runs

    @dg.op
    def noop():
        pass

    @dg.job
    def a_job():
        noop()

    with dg.DagsterInstance.ephemeral() as instance:
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        orphan = instance.create_run_for_job(job_def=a_job, tags={PID_TAG: str(gone.pid)},
                                             status=dg.DagsterRunStatus.STARTED)
        ui_run = instance.create_run_for_job(job_def=a_job, status=dg.DagsterRunStatus.STARTED)
        finish = threading.Timer(1.0, lambda: instance.report_run_canceled(ui_run))
        finish.start()
        said = []
        wait_for_running_runs(instance, said.append, poll_s=0.1)
        finish.join()
        assert instance.get_run_by_id(orphan.run_id).status == dg.DagsterRunStatus.FAILURE
        assert len(said) == 1 and ui_run.run_id[:8] in said[0] and "one writer" in said[0]


def test_the_definitions_load_in_a_process_without_a_main_file():
    """Dagster's run worker imports the code location in a process whose __main__ has no file (like `python -c`):
    there pyspark's Spark Connect modules, which mlflow pulls in, exit the process with code 0 unless their own
    dependencies are installed, and every run launched from the UI or a schedule ended FAILURE before its first step."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import cip_assets.definitions; print('loaded')"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("loaded"), done.stderr[-2000:]
