import pytest

from cip_assets.ingest.pipeline import check_config
from cip_resources.settings import ConfigError, load_config, paths
from tests.conftest import write_config


def test_no_config_means_the_synthetic_default(cip_home):
    config = load_config()
    assert [s.adapter for s in config.sources] == ["synthetic"]
    assert config.churn_horizon_days == 90


def test_paths_live_under_cip_home(cip_home):
    p = paths()
    assert p.warehouse == cip_home / "warehouse.duckdb"
    assert p.published_db == cip_home / "published" / "cip.duckdb"
    assert p.inbox == cip_home / "inbox"
    assert p.mlflow_db.parent == p.reports.parent == cip_home


def test_relative_paths_resolve_against_the_config_folder(tmp_path, cip_home):
    cfg = write_config(tmp_path / "conf", [
        {"name": "retail", "adapter": "online_retail", "path": "../data/online_retail.parquet"},
        {"name": "clothing", "adapter": "reviews", "path": "reviews.csv.gz",
         "columns": {"text": "Review Text", "rating": "Rating"}},
    ], churn={"horizon_days": 60})
    config = load_config(cfg)
    assert config.sources[0].path == (tmp_path / "data" / "online_retail.parquet").resolve()
    assert config.sources[1].path == (tmp_path / "conf" / "reviews.csv.gz").resolve()
    assert config.sources[1].get("columns") == {"text": "Review Text", "rating": "Rating"}
    assert config.churn_horizon_days == 60


def test_config_comes_from_the_environment(tmp_path, cip_home, monkeypatch):
    cfg = write_config(tmp_path, [{"name": "e", "adapter": "events", "path": "e.csv"}])
    monkeypatch.setenv("CIP_CONFIG", str(cfg))
    assert load_config().sources[0].adapter == "events"


@pytest.mark.parametrize("sources, message", [
    ([{"name": "x", "adapter": "nope", "path": "a.csv"}], r"sources\[0\] \(x\): unknown adapter 'nope'"),
    ([{"name": "x", "adapter": "table", "path": "a.csv", "table": "orders"}],
     r"sources\[0\] \(x\)\.table: expected one of .*'order_lines'.*got 'orders'"),
])
def test_bad_sources_are_named(tmp_path, cip_home, sources, message):
    """Refused when the file is read, before anything runs, naming the file and the source."""
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(write_config(tmp_path, sources))
    assert str(tmp_path / "cip.yaml") in str(caught.value)


def test_check_config_still_guards_a_config_built_in_code(cip_home):
    from cip_resources.settings import CipConfig, SourceConfig

    with pytest.raises(ConfigError, match="unknown adapter 'nope'"):
        check_config(CipConfig(sources=(SourceConfig("x", "nope", None),)))


def test_missing_path_and_missing_file_are_errors(tmp_path, cip_home):
    with pytest.raises(ConfigError, match="'path' is required"):
        load_config(write_config(tmp_path, [{"name": "r", "adapter": "reviews"}]))
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="names must be unique"):
        load_config(write_config(tmp_path, [{"name": "a", "adapter": "events", "path": "x"},
                                            {"name": "a", "adapter": "events", "path": "y"}]))
