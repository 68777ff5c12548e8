"""One typed model of cip.yaml and of sidecars: unknown keys refused before anything runs, errors naming the key path."""

import dataclasses
import re
from pathlib import Path

import duckdb
import pytest

from cip_resources import config_model as model
from cip_resources.settings import ConfigError, load_config
from tests.conftest import write_config

SYNTHETIC = [{"name": "s", "adapter": "synthetic", "customers": 50}]


def refused(tmp_path, sources=SYNTHETIC, **sections) -> str:
    path = write_config(tmp_path, sources, **sections)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path))  # the file is named
    return message


def test_a_misspelt_key_is_refused_with_its_path_and_a_suggestion(tmp_path, cip_home):
    """Before: `offers:` ignored unknown keys, so a typo `budjet` meant no budget at all."""
    message = refused(tmp_path, offers={"margin": 0.4, "budjet": 5000})
    assert "offers.budjet: unknown key (did you mean 'budget'?" in message


@pytest.mark.parametrize("sections, expected", [
    ({"monitoring": {"drift_share": "lots"}}, "monitoring.drift_share: expected a number, got 'lots'"),
    ({"monitoring": {"drift_shares": 0.3}}, "monitoring.drift_shares: unknown key (did you mean 'drift_share'?"),
    ({"events": {"horizon_days": 0}}, "events.horizon_days: must be greater than 0, got 0"),
    ({"churn": {"horizon_days": "ninety"}}, "churn.horizon_days: expected a number, got 'ninety'"),
    ({"marts": {"as_of": "yesterday"}}, "marts.as_of: expected an ISO date such as 2011-12-09, got 'yesterday'"),
    ({"experiments": {"looks": {"CAMP-1": 0}}}, "experiments.looks.CAMP-1: must be greater than 0"),
    ({"dashboard": {"users": {"ana": {"role": "boss", "password_hash": "x"}}}},
     "dashboard.users.ana.role: expected one of 'viewer', 'analyst' or 'admin', got 'boss'"),
    ({"dashboard": {"sso_roles": {"ana@example.com": "root"}}}, "dashboard.sso_roles.ana@example.com: expected one of"),
    ({"dashboard": {"login_max_failures": 0}}, "dashboard.login_max_failures: must be greater than 0"),
    ({"ingest": {"max_uncompressed_mb": -1}}, "ingest.max_uncompressed_mb: must be greater than 0"),
    ({"pricing": {}}, "pricing: unknown key (known: sources, engine, churn, marts, events, offers,"),
    ({"engine": "snowflake"}, "engine: expected one of"),
])
def test_every_section_is_checked_when_the_file_is_read(tmp_path, cip_home, sections, expected):
    """Before: `monitoring:` was read only when its asset ran (a bare ValueError hours into a run)."""
    assert expected in refused(tmp_path, **sections)


@pytest.mark.parametrize("source, expected", [
    ({"name": "r", "adapter": "reviews", "path": "r.csv", "columns": {"txt": "Review"}},
     "sources[0] (r).columns.txt: unknown key (did you mean 'text'?"),
    ({"name": "r", "adapter": "reviews", "path": "r.csv", "control_arm": "A"},
     "sources[0] (r).control_arm: unknown key"),
    ({"name": "r", "adapter": "reviews", "path": "r.csv", "channel": "email"},
     "sources[0] (r).channel: expected one of 'review' or 'support', got 'email'"),
    ({"name": "c", "adapter": "campaign", "path": "c.csv", "columns": {"arms": "v"}},
     "sources[0] (c).columns.arms: unknown key (did you mean 'arm'?"),
    ({"name": "t", "adapter": "table", "path": "t.csv", "table": "feedback", "columns": {"body": "text"}},
     "sources[0] (t): 'columns' names ['body'], not columns of raw.feedback"),
    ({"name": "t", "adapter": "table", "path": "t.csv", "table": "feedback", "columns": {"source": "x"}},
     "'columns' names ['source']"),
    ({"name": "s", "adapter": "synthetic", "customers": "many"}, "sources[0] (s).customers: expected a number"),
    ({"name": "e", "adapter": "events"}, "sources[0] (e): 'path' is required"),
    ({"name": "e", "path": "e.csv"}, "sources[0] (e): 'adapter' is required"),
])
def test_source_options_are_checked_per_adapter(tmp_path, cip_home, source, expected):
    assert expected in refused(tmp_path, [source])


def test_several_problems_are_listed_one_per_line(tmp_path, cip_home):
    message = refused(tmp_path, [{"name": "e", "adapter": "events", "path": "e.csv", "date_format": "%Q"}],
                      offers={"budjet": 1}, events={"horizon_day": 7})
    lines = message.splitlines()[1:]
    assert [line.strip().split(":")[0] for line in lines] == ["sources[0] (e).date_format", "events.horizon_day",
                                                             "offers.budjet"]


def test_the_readme_example_config_validates(tmp_path, cip_home):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if b.startswith("sources:")]
    assert blocks, "README lost its example cip.yaml"
    for block in blocks:
        path = tmp_path / "cip.yaml"
        path.write_text(block)
        config = load_config(path)
        assert config.model is not None and len(config.sources) >= 1


def test_the_default_and_a_full_config_keep_cipconfigs_interface(tmp_path, cip_home):
    config = load_config()
    assert [s.adapter for s in config.sources] == ["synthetic"] and config.path is None
    path = write_config(tmp_path, SYNTHETIC, churn={"horizon_days": 30}, offers={"budget": 100},
                        dashboard={"address": "0.0.0.0", "auth": True, "sso_roles": {"a@b.c": "viewer"},
                                   "login_max_failures": 3, "login_lockout_seconds": 60,
                                   "users": {"ana": {"role": "analyst", "password_hash": "scrypt$..."}}},
                        ingest={"max_uncompressed_mb": 100, "inbox_settle_seconds": 2})
    config = load_config(path)
    assert config.churn_horizon_days == 30 and config.path == path.resolve()
    assert config.raw["offers"] == {"budget": 100} and config.sources[0].get("customers") == 50
    assert config.model.dashboard.sso_roles == {"a@b.c": "viewer"}


def test_sidecars_use_the_same_model(tmp_path):
    assert model.parse_sidecar("reviews", {"columns": {"text": "body"}, "encoding": "cp1252"}, "x.json") == {
        "columns": {"text": "body"}, "encoding": "cp1252"}
    with pytest.raises(ConfigError, match=r"x.json: columns.txt: unknown key \(did you mean 'text'"):
        model.parse_sidecar("reviews", {"columns": {"txt": "body"}}, "x.json")
    with pytest.raises(ConfigError, match="x.json: path: not allowed in a sidecar"):
        model.parse_sidecar("reviews", {"path": "/etc/passwd"}, "x.json")
    with pytest.raises(ConfigError, match=r"x.json: 'constants' names \['x\) AS y'\]"):
        model.parse_sidecar("table", {"table": "feedback", "constants": {"x) AS y": 1}}, "x.json")


# ---------------------------------------------------------------- the model is the one list of keys
def test_the_model_lists_exactly_the_keys_the_readers_read():
    from cip_assets.events.features import EventSettings
    from cip_assets.ingest.adapters import _REVIEW_KEYS, ADAPTERS
    from cip_assets.ingest.readers import IngestLimits
    from cip_assets.monitoring.alerts import DEFAULTS
    from cip_assets.pricing.offers import OfferSettings
    from cip_assets.reports import access

    assert set(model.SOURCE_MODELS) == set(ADAPTERS)
    assert set(model.ReviewColumns.model_fields) == set(_REVIEW_KEYS)
    assert set(model.EventsSection.model_fields) == {f.name for f in dataclasses.fields(EventSettings)}
    assert set(model.OffersSection.model_fields) == {f.name for f in dataclasses.fields(OfferSettings)}
    assert set(model.MonitoringSection.model_fields) == set(DEFAULTS)
    assert set(model.IngestSection.model_fields) == {f.name for f in dataclasses.fields(IngestLimits)}
    assert set(model.DashboardUser.model_fields["role"].annotation.__args__) == set(access.ROLES)
    dashboard_keys = {f.name for f in dataclasses.fields(access.DashboardConfig)}
    assert dashboard_keys <= set(model.DashboardSection.model_fields)


def test_section_readers_validate_through_the_model():
    from cip_assets.events.features import EventSettings
    from cip_assets.monitoring.alerts import DEFAULTS, thresholds
    from cip_assets.pricing.offers import OfferSettings

    with pytest.raises(ConfigError, match="offers.budjet: unknown key"):
        OfferSettings.from_config({"offers": {"budjet": 5}})
    with pytest.raises(ConfigError, match="monitoring.min_text: unknown key"):
        thresholds({"min_text": 5})
    assert thresholds({"min_texts": 5}) == {**DEFAULTS, "min_texts": 5}
    assert EventSettings.from_config({"events": {"train_snapshots": "3"}}).train_snapshots == 3


def test_the_date_directives_are_duckdbs():
    con = duckdb.connect()
    for directive in model.STRFTIME_DIRECTIVES:
        con.execute("SELECT try_strptime('x', ?)", [directive])  # raises for a directive DuckDB does not know
    for directive in ("%Q", "%k", "%-Q"):
        with pytest.raises(duckdb.Error):
            con.execute("SELECT try_strptime('x', ?)", [directive])
        with pytest.raises(ValueError, match="unsupported directive"):
            model.check_date_format(directive)
    assert model.check_date_format("%d 'de' %B %Y, %H:%M (%%)") == "%d 'de' %B %Y, %H:%M (%%)"


# ---------------------------------------------------------------- before anything runs
def test_cip_run_refuses_a_typo_before_anything_runs(cip_home, tmp_path, capsys):
    from cip_assets.cli import main

    config = write_config(tmp_path / "conf", SYNTHETIC, offers={"budjet": 5000})
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "cip: config error:" in err and "offers.budjet: unknown key (did you mean 'budget'?" in err
    assert not (cip_home / "warehouse.duckdb").exists() and not (cip_home / "dagster" / "dagster.yaml").exists()


def test_the_ui_launch_path_fails_at_the_first_asset_with_the_same_message(cip_home, tmp_path):
    import dagster as dg

    from cip_assets.ingest.assets import ingest_assets
    from cip_resources.config import CipSettings
    from cip_resources.warehouse import WarehouseResource

    config = write_config(tmp_path / "conf", SYNTHETIC, monitoring={"drift_share": 3})
    result = dg.materialize(ingest_assets[:1], raise_on_error=False, resources={
        "warehouse": WarehouseResource(database=str(cip_home / "warehouse.duckdb")),
        "settings": CipSettings(config_path=str(config))})
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    assert "monitoring.drift_share: must be less than or equal to 1, got 3" in error.message
