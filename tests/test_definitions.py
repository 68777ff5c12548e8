"""The Dagster definitions load, and the asset graph has the keys every later stage relies on."""

import dagster as dg


def test_definitions_load_and_resolve_the_refresh_job(cip_home):
    from cip_assets.definitions import defs

    job = defs.resolve_job_def("refresh")
    assert job is not None
    assert defs.resolve_schedule_def("nightly_refresh").cron_schedule == "0 2 * * *"
    assert defs.resolve_sensor_def("inbox_sensor") is not None


def test_asset_keys_groups_and_lineage(cip_home):
    from cip_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    raw = {"raw/customers", "raw/order_lines", "raw/events", "raw/feedback", "raw/campaign_exposures",
           "raw/customer_labels", "raw/rejected_rows"}
    marts = {f"marts/{m}" for m in ("customer_rfm", "customer_360", "cohort_retention", "daily_kpis",
                                    "revenue_pareto", "product_affinity", "funnel_daily", "activity_heatmap",
                                    "geo_summary")}
    assert raw | marts | {"serving/published"} <= keys
    # dbt sources line up with the ingest assets: no dangling raw keys
    assert {k for k in keys if k.startswith("raw/")} == raw
    assert dg.AssetKey(["raw", "order_lines"]) in graph.get(dg.AssetKey(["staging", "stg_order_lines"])).parent_keys
    assert graph.get(dg.AssetKey(["marts", "customer_rfm"])).group_name == "marts"
    assert graph.get(dg.AssetKey(["staging", "stg_events"])).group_name == "staging"
    assert graph.get(dg.AssetKey(["raw", "events"])).group_name == "ingest"
    # checks: Great Expectations and reconciliation on every raw table, dbt tests on the marts
    check_names = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("raw/order_lines", "great_expectations") in check_names
    assert ("raw/feedback", "rejects_recorded") in check_names
    assert any(k == "marts/customer_rfm" and n.startswith("accepted_values") for k, n in check_names)


def test_workspace_loads_through_the_dagster_cli(cip_home):
    """What `dagster dev` does first: load the code location named in workspace.yaml."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run([str(dagster), "definitions", "validate", "-w", str(root / "workspace.yaml")],
                            cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Validation successful" in result.stdout + result.stderr
