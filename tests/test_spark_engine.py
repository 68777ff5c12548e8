"""`engine: spark`: the same dbt project on Spark (a local pyspark session) builds the same marts as DuckDB.

Both builds go through the Dagster assets as the UI materializes them (ingest, then the dbt asset with its
checks); the Spark side writes the raw lake, runs `dbt build --target spark` and links Spark's tables into
its warehouse. The marts are then compared row by row. Needs Java (`make install` installs it as root):
run with `make test-engines`.
"""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from cip_resources.engine import rows_differing
from conftest import shared_file, write_config

pytestmark = [pytest.mark.engines,
              pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (make install, as root)")]

MODELS = (*(f"marts.{m}" for m in ("customer_rfm", "cohort_retention", "daily_kpis", "revenue_pareto", "product_affinity",
                                    "product_country_monthly", "product_customer_monthly", "product_buyers",
                                    "product_sales_daily")),
          "intermediate.int_customer_category_prices")
SLICE_END = "2011-03-01"  # three months of Online Retail keeps the Spark build to about a minute


@pytest.fixture(scope="module")
def retail_slice(tmp_path_factory):
    path = tmp_path_factory.mktemp("retail") / "online_retail_slice.parquet"
    duckdb.execute(f"COPY (SELECT * FROM read_parquet('{shared_file('online_retail.parquet')}') "
                   f"WHERE InvoiceDate < TIMESTAMP '{SLICE_END}') TO '{path}' (FORMAT parquet)")
    return path


def build(home, config, engine, monkeypatch) -> dg.ExecuteInProcessResult:
    from cip_assets.ingest.assets import ingest_assets
    from cip_assets.marts.assets import cip_dbt_assets
    from cip_resources.config import CipSettings
    from cip_resources.dbt import dbt_resource
    from cip_resources.warehouse import WarehouseResource

    for name, value in {"CIP_HOME": home, "CIP_DUCKDB_PATH": home / "warehouse.duckdb", "CIP_LAKE_PATH": home / "lake",
                        "CIP_SPARK_PATH": home / "spark", "DAGSTER_HOME": home / "dagster",
                        "CIP_CONFIG": config, "CIP_ENGINE": engine}.items():
        monkeypatch.setenv(name, str(value))
    selection = dg.AssetSelection.keys(*[dg.AssetKey(m.split(".")) for m in MODELS]).upstream()
    return dg.materialize(
        [*ingest_assets, cip_dbt_assets], selection=selection, raise_on_error=False,
        resources={"warehouse": WarehouseResource(database=str(home / "warehouse.duckdb")), "settings": CipSettings(),
                   "dbt": dbt_resource()})


def test_spark_builds_the_same_marts_as_duckdb(retail_slice, tmp_path, monkeypatch):
    config = write_config(tmp_path / "conf", [{"name": "retail", "adapter": "online_retail", "path": str(retail_slice)}])
    on_duckdb = build(tmp_path / "duckdb_home", config, "duckdb", monkeypatch)
    on_spark = build(tmp_path / "spark_home", config, "spark", monkeypatch)
    for result in (on_duckdb, on_spark):
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    names = [{c.check_name for c in result.get_asset_check_evaluations()} for result in (on_duckdb, on_spark)]
    assert names[0] == names[1], names[0] ^ names[1]  # every dbt test ran, and passed, on both engines

    assert any((tmp_path / "spark_home" / "lake" / "raw" / "order_lines").glob("day=2011-02-*/*.parquet"))
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'duckdb_home' / 'warehouse.duckdb'}' AS d (READ_ONLY)")
    con.execute(f"ATTACH '{tmp_path / 'spark_home' / 'warehouse.duckdb'}' AS s (READ_ONLY)")
    for model in MODELS:
        schema, name = model.split(".")
        sql = con.execute("SELECT sql FROM duckdb_views() WHERE database_name = 's' AND schema_name = ? "
                          "AND view_name = ?", [schema, name]).fetchone()
        assert sql and f"spark/warehouse/{schema}.db" in sql[0], model  # Spark's files, read in place
        rows = con.execute(f"SELECT count(*) FROM d.{model}").fetchone()[0]
        assert rows > 0, model
        columns = con.sql(f"SELECT * FROM d.{model} LIMIT 0").columns
        without = "EXCLUDE (loaded_at)" if "loaded_at" in columns else ""  # when each home's own ingest ran
        assert rows_differing(con, f"(SELECT * {without} FROM d.{model})",
                              f"(SELECT * {without} FROM s.{model})") == 0, model


def test_the_registered_churn_model_scores_the_same_through_spark(cip_home, tmp_path, monkeypatch):
    """The champion trained on the e-commerce churn workbook scores every customer once in process and
    once through mlflow's spark_udf on a local session: the same customers, probabilities, bands and reasons."""
    import subprocess

    from cip_assets.churn.assets import churn_model, churn_scores
    from cip_assets.ingest.pipeline import ingest_table
    from cip_resources.config import CipSettings
    from cip_resources.dbt import DBT_PROJECT_DIR
    from cip_resources.mlflow import MlflowResource
    from cip_resources.settings import load_config, paths
    from cip_resources.warehouse import WarehouseResource, connect

    config = load_config(write_config(tmp_path / "conf", [{"name": "workbook", "adapter": "labelled_customers",
                                                           "path": str(shared_file("ecommerce_churn.xlsx")),
                                                           "sheet": "E Comm"}]))
    with connect(cip_home / "warehouse.duckdb") as con:
        for table in ("customers", "customer_labels"):
            ingest_table(con, config, table, paths())
    built = subprocess.run([shutil.which("dbt"), "run", "--select", "staging", "--project-dir", str(DBT_PROJECT_DIR),
                            "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
                            "--log-path", str(tmp_path / "logs")], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-2000:]
    resources = {"warehouse": WarehouseResource(database=str(cip_home / "warehouse.duckdb")),
                 "settings": CipSettings(), "mlflow_tracking": MlflowResource(cip_home=str(cip_home))}

    def scores(engine: str, assets) -> tuple:
        monkeypatch.setenv("CIP_ENGINE", engine)
        run = dg.materialize(assets, resources=resources, selection=[churn_scores.key], raise_on_error=False)
        assert run.success
        scored_on = run.asset_materializations_for_node(churn_scores.op.name)[0].metadata["scored_on"].value
        with duckdb.connect(str(cip_home / "warehouse.duckdb"), read_only=True) as con:
            frame = con.execute("SELECT customer_id, churn_probability, risk_band, reasons, top_features "
                                "FROM ml.churn_scores ORDER BY customer_id").df()
        return scored_on, frame

    assert dg.materialize([churn_model], resources=resources).success
    local_engine, local = scores("duckdb", [churn_model, churn_scores])
    spark_engine, on_spark = scores("spark", [churn_model, churn_scores])
    assert (local_engine, spark_engine) == ("duckdb", "spark")
    assert len(local) > 1000 and local.customer_id.tolist() == on_spark.customer_id.tolist()
    assert (local.churn_probability - on_spark.churn_probability).abs().max() < 1e-9
    for column in ("risk_band", "reasons", "top_features"):
        assert local[column].tolist() == on_spark[column].tolist(), column
