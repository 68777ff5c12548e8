"""Shared fixtures: a throwaway CIP_HOME per test, the dbt manifest once per session, the real data."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

SHARED_DATA = Path(os.environ.get("CIP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def shared_file(name: str) -> Path:
    """A real data set from ../shared/data, or a skip saying where it was looked for."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real data set {name} not found in {SHARED_DATA} (set CIP_SHARED_DATA to its folder)")
    return path


@pytest.fixture(autouse=True)
def cip_config_left_as_found():
    """`cip run --config` sets CIP_CONFIG for its own process; a test that calls it in process must not hand that
    config to the tests after it (the QA bank's feedback questions read a typo'd config left by the config tests)."""
    before = os.environ.get("CIP_CONFIG")
    yield
    if before is None:
        os.environ.pop("CIP_CONFIG", None)
    else:
        os.environ["CIP_CONFIG"] = before


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest():
    """`dbt parse` once per session, as the setup step does, never at import."""
    from cip_resources.dbt import prepare_manifest

    return prepare_manifest(force=True)


@pytest.fixture(scope="session", autouse=True)
def shared_model_cache():
    """One folder for the encoder builds (ONNX export, static distillation) for every home of the session: the
    one `make install` filled (the default home's), so the tests make no build the install already made."""
    if "CIP_MODEL_CACHE" not in os.environ:
        os.environ["CIP_MODEL_CACHE"] = str(Path(__file__).resolve().parents[1] / ".cip" / "models")
    yield os.environ["CIP_MODEL_CACHE"]


@pytest.fixture(scope="session", autouse=True)
def shared_embedding_cache(tmp_path_factory):
    """One embedding cache file for every run of the session (`cip run`s in subprocesses inherit it): each
    synthetic review text is embedded once, not once per CIP_HOME."""
    if "CIP_EMBEDDING_CACHE" not in os.environ:
        os.environ["CIP_EMBEDDING_CACHE"] = str(tmp_path_factory.mktemp("embeddings") / "embeddings.duckdb")
    yield os.environ["CIP_EMBEDDING_CACHE"]


@pytest.fixture(scope="session")
def synthetic_run_home(tmp_path_factory) -> Path:
    """One `cip run` of the synthetic default per session, in a subprocess, shared by the tests that only read
    what it published (the QA engine, the dashboard). CIP_TEST_RUN_HOME reuses an earlier run's home."""
    import subprocess
    import sys

    if os.environ.get("CIP_TEST_RUN_HOME"):
        return Path(os.environ["CIP_TEST_RUN_HOME"])
    home = tmp_path_factory.mktemp("synthetic_run") / "home"
    env = {**os.environ, "CIP_HOME": str(home), "CIP_DUCKDB_PATH": str(home / "warehouse.duckdb"),
           "DAGSTER_HOME": str(home / "dagster")}
    env.pop("CIP_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "cip_assets.cli", "run"], env=env, cwd=Path(__file__).parents[1],
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (home / "cip_run_output.txt").write_text(done.stdout)  # what a user saw: step lines and the summary
    return home


@pytest.fixture
def cip_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "cip_home"
    monkeypatch.setenv("CIP_HOME", str(home))
    monkeypatch.setenv("CIP_DUCKDB_PATH", str(home / "warehouse.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.setenv("CIP_LAKE_PATH", str(home / "lake"))
    monkeypatch.setenv("CIP_SPARK_PATH", str(home / "spark"))
    monkeypatch.delenv("CIP_CONFIG", raising=False)
    monkeypatch.delenv("CIP_ENGINE", raising=False)
    from cip_resources.settings import paths

    paths().ensure()
    return home


@pytest.fixture
def synthetic_warehouse(cip_home, tmp_path):
    """The default 2,000 synthetic customers ingested and the dbt staging views built."""
    import shutil
    import subprocess

    from cip_assets.ingest.pipeline import ingest_table
    from cip_resources.dbt import DBT_PROJECT_DIR
    from cip_resources.settings import load_config, paths
    from cip_resources.warehouse import connect

    config = load_config()
    con = connect(cip_home / "warehouse.duckdb")
    source = config.sources[0].__class__(name="synthetic", adapter="synthetic", path=None,
                                         options={"customers": 2000, "seed": 42})
    config = config.__class__(sources=(source,))
    for table in ("customers", "order_lines", "events", "feedback", "campaign_exposures"):
        ingest_table(con, config, table, paths())
    con.close()
    # a separate process: in-process dbt-duckdb keeps its connection to the warehouse open
    result = subprocess.run([shutil.which("dbt"), "run", "--select", "staging", "--project-dir", str(DBT_PROJECT_DIR),
                             "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
                             "--log-path", str(tmp_path / "logs")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    return cip_home / "warehouse.duckdb"


@pytest.fixture
def warehouse(cip_home):
    from cip_resources.warehouse import connect

    con = connect(cip_home / "warehouse.duckdb")
    yield con
    con.close()


def write_config(folder: Path, sources: list[dict], **sections) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cip.yaml"
    path.write_text(yaml.safe_dump({"sources": sources, **sections}, sort_keys=False))
    return path
