"""Launch paths and day two: the figures for running CIP the way its users do.

    python benchmarks/bench_launch.py launch [--home PATH]          # UI-launched refresh vs `cip run --job refresh`
    python benchmarks/bench_launch.py day-two [--lines 10000000]    # a new day of orders vs the first run

`launch`: on one home (built with `cip run` first when PATH has no warehouse), the `refresh` job
run by `cip run --job refresh`, then the same job submitted to `dagster dev` through the GraphQL
API (what the UI's Launch button does) and followed until it ends. Prints both wall times and
their ratio; the UI time includes the run queue's pick-up and the run worker's start.

`day-two`: order lines and customers from the synthetic generator (about N lines), loaded with
the `table` adapter by `cip run --job build_all` on a new home (the first run: ingest, marts, train
every model, score, publish); then one more day of orders arrives in the inbox and `cip run --job
refresh` runs, as the nightly schedule would. Prints both wall times, their ratio, the rows each run
loaded, and the refresh's ten longest steps from the home's Dagster instance.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def home_env(home: Path, config: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "CIP_HOME": str(home), "CIP_DUCKDB_PATH": str(home / "warehouse.duckdb"),
           "DAGSTER_HOME": str(home / "dagster"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("CIP_CONFIG", None)
    if config is not None:
        env["CIP_CONFIG"] = str(config)
    return env


def cip_run(env: dict[str, str], job: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "cip"), "run", "--job", job], env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(f"cip run --job {job} failed")
    print(next(line for line in done.stdout.splitlines() if line.startswith("CIP run")))
    return seconds


def ui_run(env: dict[str, str], job: str, port: int = 3311) -> float:
    """Submit `job` to `dagster dev` through the GraphQL client and wait for it to end."""
    from dagster_graphql import DagsterGraphQLClient

    server = subprocess.Popen(
        ["env", "--default-signal=INT,TERM", str(BIN / "dagster"), "dev", "-w", str(ROOT / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=30)
        deadline = time.time() + 600
        while True:  # the submission goes through once the webserver and the code location are up
            started = time.perf_counter()
            try:
                run_id = client.submit_job_execution(job)
                break
            except Exception:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("dagster dev did not come up")
                time.sleep(2)
        while (status := client.get_run_status(run_id).value) not in ("SUCCESS", "FAILURE", "CANCELED"):
            time.sleep(2)
        seconds = time.perf_counter() - started
        print(f"UI-launched {job}: run {run_id[:8]} ended {status}")
        if status != "SUCCESS":
            raise SystemExit(f"the UI-launched {job} ended {status}")
        return seconds
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def launch(args) -> None:
    home = args.home.resolve()
    env = home_env(home)
    if not (home / "warehouse.duckdb").exists():
        print(f"building {home} with `cip run` (build_all) first")
        cip_run(env, "build_all")
    cli_seconds = cip_run(env, "refresh")
    ui_seconds = ui_run(env, "refresh")
    print(f"refresh via `cip run`:     {cli_seconds:8.1f} s")
    print(f"refresh via the UI's API:  {ui_seconds:8.1f} s")
    print(f"ratio UI / cip run:        {ui_seconds / cli_seconds:8.2f}x (target: within 1.5x)")


def day_two(args) -> None:
    import duckdb

    out = args.out.resolve()
    data, home = out / "day_two_data", out / "day_two_home"
    shutil.rmtree(home, ignore_errors=True)
    customers = max(1000, args.lines // 100)
    if not (data / "manifest.json").exists():
        subprocess.run([str(BIN / "cip"), "generate", "--out", str(data), "--customers", str(customers),
                        "--lines-per-customer", "100", "--no-events"], cwd=ROOT, check=True)
    identity = {table: {c: c for c in columns} for table, columns in {
        "customers": ["customer_id", "first_seen_at", "country", "city", "age", "gender"],
        "order_lines": ["order_id", "line_no", "customer_id", "ordered_at", "product_id", "product_name", "category",
                        "quantity", "unit_price", "discount_pct", "status"]}.items()}
    home.mkdir(parents=True)
    config = home / "cip.yaml"
    config.write_text(json.dumps({"sources": [
        {"name": table, "adapter": "table", "table": table, "path": str(data / table), "columns": columns}
        for table, columns in identity.items()]}))
    env = home_env(home, config)
    first = cip_run(env, "build_all")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        lines_day_one = con.execute("SELECT count(*) FROM raw.order_lines").fetchone()[0]
        last_day = con.execute("SELECT max(ordered_at)::DATE FROM raw.order_lines").fetchone()[0]
        # one more day: a copy of the last day's orders, a day later, with new order ids
        inbox = home / "inbox" / "table"
        inbox.mkdir(parents=True)
        con.execute(f"""COPY (SELECT 'D2-' || order_id AS order_id, line_no, customer_id,
                                     ordered_at + INTERVAL 1 DAY AS ordered_at, product_id, product_name, category,
                                     quantity, unit_price, discount_pct, status
                              FROM raw.order_lines WHERE ordered_at::DATE = DATE '{last_day}')
                        TO '{inbox / "orders_day_two.parquet"}' (FORMAT parquet)""")
    (inbox / "orders_day_two.parquet.json").write_text(json.dumps({"table": "order_lines",
                                                                   "columns": identity["order_lines"]}))
    second = cip_run(env, "refresh")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        lines_day_two = con.execute("SELECT count(*) FROM raw.order_lines").fetchone()[0]
    print(f"day one: {lines_day_one:,} order lines loaded, build_all {first:.1f} s")
    print(f"day two: {lines_day_two - lines_day_one:,} new order lines, refresh {second:.1f} s")
    print(f"ratio day two / day one: {second / first:.2f}")
    print("the refresh's longest steps:")
    for step, seconds in longest_steps(home / "dagster"):
        print(f"  {step:45s} {seconds:7.1f} s")


def longest_steps(dagster_home: Path, count: int = 10) -> list[tuple[str, float]]:
    """The latest run's longest steps, from the home's Dagster instance."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_runs(limit=1)[0]
        steps = [(s.step_key, (s.end_time or 0) - (s.start_time or 0)) for s in instance.get_run_step_stats(run.run_id)]
    return sorted(steps, key=lambda s: -s[1])[:count]


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("launch")
    one.add_argument("--home", type=Path, default=ROOT / "bench_out" / "launch_home")
    two = sub.add_parser("day-two")
    two.add_argument("--lines", type=int, default=10_000_000)
    two.add_argument("--out", type=Path, default=ROOT / "bench_out")
    args = parser.parse_args()
    launch(args) if args.what == "launch" else day_two(args)


if __name__ == "__main__":
    main()
