"""The `cip` command: generate data, run the platform in-process, start the UIs."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cip_resources.settings import ConfigError, export_env, load_config

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cip", description="CIP, the Customer Intelligence Platform")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic data set (Parquet) with its ground truth")
    gen.add_argument("--out", type=Path, required=True, help="folder to write")
    gen.add_argument("--customers", type=int, default=2000)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--lines-per-customer", type=float, default=None,
                     help="mean order lines per customer (scales the order volume)")
    gen.add_argument("--no-events", action="store_true", help="skip the behavioural event stream")

    run = sub.add_parser("run", help="launch a job (build_all by default) on the Dagster instance, as the UI does")
    run.add_argument("--config", help="sources file (default: $CIP_CONFIG, else the synthetic default)")
    run.add_argument("--job", default="build_all", choices=["build_all", "refresh", "retrain"],
                     help="build_all: everything, models trained (a new home); refresh: what the nightly schedule "
                     "runs; retrain: what the weekly schedule runs")
    run.add_argument("--verbose", action="store_true", help="print library and step logs on screen, not only to the "
                     "log file")

    ui = sub.add_parser("ui", help="start the Dagster UI (and the dashboard, when present) on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)

    alerts = sub.add_parser("alerts", help="list the open alerts of the published copy, or acknowledge one")
    alerts.add_argument("ack", nargs="?", choices=["ack"], help="acknowledge the alert ALERT_ID")
    alerts.add_argument("alert_id", nargs="?")
    alerts.add_argument("--by", default=os.environ.get("USER", "cli"), help="who acknowledges (for the record)")
    alerts.add_argument("--all", action="store_true", help="include acknowledged and resolved alerts")

    from cip_assets.reports.cli import add_commands

    extra = add_commands(sub)  # cip dashboard, cip report

    ask = sub.add_parser("ask", help="answer a question from the published copy (no LLM): cip ask \"QUESTION\"",
                         add_help=False)
    ask.add_argument("rest", nargs=argparse.REMAINDER)

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "ask":  # its own parser: --json, --session NAME
        from cip_assets.qa.cli import ask_main

        return ask_main(argv[1:])
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "run":
            return _run(args)
        if args.command == "alerts":
            return _alerts(args)
        if args.command in extra:
            return extra[args.command](args)
        return _ui(args)
    except ConfigError as exc:
        print(f"cip: config error: {exc}", file=sys.stderr)
        return 2


def _generate(args) -> int:
    from cip_assets.ingest import synthetic

    options = {"customers": args.customers, "seed": args.seed, "with_events": not args.no_events}
    if args.lines_per_customer is not None:
        options["lines_per_customer"] = args.lines_per_customer
    started = time.perf_counter()
    manifest = synthetic.generate(args.out, **options)
    print(f"wrote {args.out} in {time.perf_counter() - started:.1f}s")
    for table, rows in manifest["rows"].items():
        print(f"  {table:<22} {rows:>12,} rows")
    return 0


def _alerts(args) -> int:
    import duckdb

    from cip_assets.monitoring.alerts import acknowledge

    paths = export_env()
    if args.ack:
        if not args.alert_id:
            print("cip alerts ack: name the alert id", file=sys.stderr)
            return 2
        acknowledge(paths.home, args.alert_id, args.by)
        print(f"acknowledged {args.alert_id}; the next run records it in monitoring.alerts")
        return 0
    if not paths.published_db.exists():
        print("nothing published yet: run `cip run` first")
        return 1
    with duckdb.connect(str(paths.published_db), read_only=True) as con:
        try:
            rows = con.execute(f"""SELECT id, created_at, severity, kind, entity, message, status FROM monitoring.alerts
                {'' if args.all else "WHERE status = 'open'"} ORDER BY created_at DESC""").fetchall()
        except duckdb.CatalogException:
            print("no alerts table published yet: run `cip run`")
            return 1
    for alert_id, created, severity, kind, entity, message, status in rows:
        print(f"{alert_id}  {created:%Y-%m-%d %H:%M}  {severity:<8} {status:<12} {kind}: {message}")
    print(f"{len(rows)} alert(s)")
    return 0


def _run(args) -> int:
    if args.config:
        os.environ["CIP_CONFIG"] = str(Path(args.config).resolve())
    config = load_config()  # every section validated (cip_resources/config_model.py): a bad one stops here
    from cip_assets.ingest.pipeline import check_config

    check_config(config)
    paths = export_env()
    from cip_resources.dbt import prepare_manifest

    prepare_manifest()
    import dagster as dg

    from cip_assets.definitions import defs
    from cip_assets.launch import launch, output_to

    assets = len(defs.resolve_job_def(args.job).asset_layer.asset_graph.executable_asset_keys)
    log_file = None if args.verbose else paths.home / "logs" / f"cip-run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    started = time.perf_counter()
    with output_to(log_file) as say:
        say(f"cip run: job {args.job}, {assets} assets, instance {paths.dagster_home}"
            + (f"; logs in {log_file}" if log_file else ""))
        # the whole job, as the UI and the schedules run it: assets no source feeds build empty or skip
        result = launch(args.job, say, log_level="DEBUG" if args.verbose else "INFO")
    print(_summary(result, paths, config, time.perf_counter() - started, log_file))
    failed_checks = [e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
                     and not e.event_specific_data.passed
                     and e.event_specific_data.severity == dg.AssetCheckSeverity.ERROR]
    return 0 if result.success and not failed_checks else 1


def _summary(result, paths, config, seconds: float, log_file: Path | None = None) -> str:
    rows, materialized, checks_passed, checks_failed, checks_warned, failures = {}, 0, 0, [], [], []
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            materialized += 1
            mat = event.event_specific_data.materialization
            if mat.asset_key.path[0] in ("raw", "ml") and "dagster/row_count" in mat.metadata:
                rows[mat.asset_key.to_user_string()] = mat.metadata["dagster/row_count"].value
            elif "tables" in mat.metadata:  # the published copy lists its tables
                rows.update({f"published {t}": n for t, n in mat.metadata["tables"].value.items()})
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if evaluation.passed:
                checks_passed += 1
            elif evaluation.severity.value == "WARN":
                checks_warned.append(name)
            else:
                checks_failed.append(name)
        elif event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            while error.cause is not None:  # Dagster wraps the asset's own exception: show that one
                error = error.cause
            failures.append(f"{event.step_key}: {error.message.strip().splitlines()[0]}")
    source = config.path or "the synthetic default (no CIP_CONFIG)"
    lines = [f"CIP run {'succeeded' if result.success else 'FAILED'} in {seconds:.0f}s on {source}: "
             f"{materialized} assets materialized", "", "tables:"]
    lines += [f"  {key:<44} {n:>12,} rows" for key, n in sorted(rows.items())]
    lines += ["", f"checks: {checks_passed} passed, {len(checks_failed)} failed, {len(checks_warned)} warned"]
    lines += [f"  FAILED {c}" for c in checks_failed] + [f"  WARNED {c}" for c in checks_warned] + [f"  STEP FAILED {f}" for f in failures]
    lines += ["", f"warehouse:   {paths.warehouse}", f"published:   {paths.published_db} (read-only copy)",
              f"run:         {result.run_id} (`cip ui` then http://127.0.0.1:3000/runs/{result.run_id})"]
    if log_file is not None:
        lines.append(f"log:         {log_file} (dbt, MLflow and library output; --verbose shows it on screen)")
    return "\n".join(lines)


def _ui(args) -> int:
    paths = export_env()
    from cip_resources.dbt import prepare_manifest

    prepare_manifest()
    env = {**os.environ, "DAGSTER_HOME": str(paths.dagster_home)}
    processes = [subprocess.Popen(
        # default signal handling, so SIGTERM stops dagster dev and its webserver and daemon children
        ["env", "--default-signal=INT,TERM", "dagster", "dev", "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(args.port)],
        cwd=ROOT, env=env)]
    app = ROOT / "dashboards" / "app.py"
    if app.exists():
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
             "--server.address", "127.0.0.1"], cwd=ROOT, env=env))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run the `finally` below on SIGTERM too
    print(f"Dagster UI on http://127.0.0.1:{args.port}" + (", dashboard on http://127.0.0.1:8501" if app.exists() else ""))
    try:
        return processes[0].wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
