"""`cip run` end to end: the synthetic default, Online Retail, a bad config, the inbox sensor."""

from pathlib import Path

import duckdb
import pytest

from cip_assets.cli import main
from tests.conftest import shared_file, write_config

MARTS = ["customer_rfm", "customer_360", "cohort_retention", "daily_kpis", "weekly_kpis", "monthly_kpis",
         "revenue_pareto", "product_affinity", "funnel_daily", "activity_heatmap", "geo_summary"]


def published_counts(home: Path) -> dict[str, int]:
    with duckdb.connect(str(home / "published" / "cip.duckdb"), read_only=True) as con:
        return {m: con.execute(f"SELECT count(*) FROM marts.{m}").fetchone()[0] for m in MARTS}


def test_synthetic_default_end_to_end(synthetic_run_home):
    """The session's `cip run` (conftest): the build_all job on a new home, step by step, then the summary."""
    home = synthetic_run_home
    out = (home / "cip_run_output.txt").read_text()
    assert "CIP run succeeded" in out and "0 failed" in out
    steps = [line for line in out.splitlines() if line.startswith("[")]
    assert any("raw/order_lines" in line and " rows" in line for line in steps)
    assert any("cip_dbt_assets" in line and "checks" in line for line in steps)
    assert all(" ok " in line for line in steps), [line for line in steps if " ok " not in line]
    assert "Loading weights" not in out and "Running with dbt" not in out  # library output goes to the log
    log = Path(next(line.split()[1] for line in out.splitlines() if line.startswith("log:")))
    assert log.parent == home / "logs" and "Running with dbt" in log.read_text()
    counts = published_counts(home)
    assert all(counts[m] > 0 for m in MARTS), counts
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        malformed = con.execute("SELECT count(*) FROM raw.rejected_rows WHERE source = 'synthetic'").fetchone()[0]
    assert malformed > 0  # the generator's deliberately malformed rows were caught
    assert (home / "published" / "parquet" / "marts" / "customer_rfm.parquet").exists()
    with duckdb.connect(str(home / "published" / "cip.duckdb"), read_only=True) as con:
        for table in ("churn_scores", "churn_model_evaluation", "customer_value", "customer_segments"):
            assert con.execute(f"SELECT count(*) FROM ml.{table}").fetchone()[0] > 0, table


@pytest.mark.slow  # a whole `cip run` over the real Online Retail file (its ingest is checked in test_ingest_real_data)
def test_online_retail_builds_every_mart(cip_home, tmp_path, capsys):
    config = write_config(tmp_path / "conf", [
        {"name": "retail", "adapter": "online_retail", "path": str(shared_file("online_retail.parquet"))}])
    assert main(["run", "--config", str(config)]) == 0
    assert "0 failed" in capsys.readouterr().out
    counts = published_counts(cip_home)
    assert counts["customer_rfm"] == 4339  # customers with a completed order up to 2011-12-09
    assert counts["funnel_daily"] == 0  # no event source: empty, not an error
    with duckdb.connect(str(cip_home / "published" / "cip.duckdb"), read_only=True) as con:
        segments = {r[0] for r in con.execute("SELECT DISTINCT segment FROM marts.customer_rfm").fetchall()}
    assert len(segments) == 11


def test_bad_config_is_a_clear_error(cip_home, tmp_path, capsys):
    config = write_config(tmp_path / "conf", [{"name": "x", "adapter": "csv_magic", "path": "a.csv"}])
    assert main(["run", "--config", str(config)]) == 2
    assert "unknown adapter 'csv_magic'" in capsys.readouterr().err


def test_inbox_sensor_requests_one_run_per_new_file(cip_home):
    import dagster as dg

    from cip_assets.automation import inbox_sensor

    folder = cip_home / "inbox" / "events"
    folder.mkdir(parents=True)
    context = dg.build_sensor_context(cursor=None)
    assert isinstance(inbox_sensor(context), dg.SkipReason)
    (folder / "day1.csv").write_text("event_time,event_type,user_id\n2024-01-01 10:00:00 UTC,view,1\n")
    assert "still arriving" in inbox_sensor(context).skip_message  # just written: it may be half-copied
    request = inbox_sensor(context)  # unchanged since the previous tick: complete
    assert isinstance(request, dg.RunRequest) and "day1.csv" in request.run_key
    assert isinstance(inbox_sensor(dg.build_sensor_context(cursor=context.cursor)), dg.SkipReason)
